"""National code tables of the volunteer profile (SPEC VOL-4, RULES "Code tables").

Stored as codes (``"01"``, ``"teaching"``); labels are translated at display time. ``code_tables``
exposes them to forms, services and exports as ``[(code, label)]``.

* gender GB/T 2261.1; identity document types (the checks of each are in ``idcards``);
* political status GB/T 4762, education GB/T 4658 (the summary codes), ethnicity GB/T 3304;
* skills and professional qualifications (SPEC VOL-4 names medical, psychological, legal,
  rescue, teaching, IT, languages, sign language …);
* service categories: the eighteen categories of the Huizhou plan (seed 001, 第(四)条) followed
  by further national ones (community service, poverty relief, large events …).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):  # GB/T 2261.1
    UNKNOWN = "0", _("未知")
    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNSTATED = "9", _("未说明")


# What a person may choose when the document does not encode it ("unknown" is never chosen).
SELECTABLE_GENDERS = (Gender.MALE.value, Gender.FEMALE.value, Gender.UNSTATED.value)


class IdType(models.TextChoices):
    RESIDENT_ID = "111", _("居民身份证")
    HKMO_RESIDENCE_PERMIT = "991", _("港澳居民居住证")
    TW_RESIDENCE_PERMIT = "992", _("台湾居民居住证")
    HKMO_TRAVEL_PERMIT = "516", _("港澳居民来往内地通行证")
    TW_TRAVEL_PERMIT = "511", _("台湾居民来往大陆通行证")
    PASSPORT = "414", _("护照")
    FOREIGN_PERMANENT_RESIDENCE = "553", _("外国人永久居留身份证")


class PoliticalStatus(models.TextChoices):  # GB/T 4762
    CPC_MEMBER = "01", _("中共党员")
    CPC_PROBATIONARY = "02", _("中共预备党员")
    CYL_MEMBER = "03", _("共青团员")
    RCCK = "04", _("民革党员")
    CDL = "05", _("民盟盟员")
    CNDCA = "06", _("民建会员")
    CAPD = "07", _("民进会员")
    CPWDP = "08", _("农工党党员")
    CZGP = "09", _("致公党党员")
    JS = "10", _("九三学社社员")
    TDSGL = "11", _("台盟盟员")
    NON_PARTISAN = "12", _("无党派民主人士")
    MASSES = "13", _("群众")


class Education(models.TextChoices):  # GB/T 4658 (summary level)
    POSTGRADUATE = "10", _("研究生")
    UNIVERSITY = "20", _("大学本科")
    COLLEGE = "30", _("大学专科")
    SECONDARY_VOCATIONAL = "40", _("中等专科")
    TECHNICAL_SCHOOL = "50", _("技工学校")
    HIGH_SCHOOL = "60", _("高中")
    JUNIOR_HIGH = "70", _("初中")
    PRIMARY = "80", _("小学")
    OTHER = "90", _("其他")


# GB/T 3304: 01 汉族 … 56 基诺族, in the standard's order. Labels are proper names of the groups;
# the English catalogue translates them. Members are E01 … E56, values "01" … "56".
class Ethnicity(models.TextChoices):
    E01 = "01", _("汉族")
    E02 = "02", _("蒙古族")
    E03 = "03", _("回族")
    E04 = "04", _("藏族")
    E05 = "05", _("维吾尔族")
    E06 = "06", _("苗族")
    E07 = "07", _("彝族")
    E08 = "08", _("壮族")
    E09 = "09", _("布依族")
    E10 = "10", _("朝鲜族")
    E11 = "11", _("满族")
    E12 = "12", _("侗族")
    E13 = "13", _("瑶族")
    E14 = "14", _("白族")
    E15 = "15", _("土家族")
    E16 = "16", _("哈尼族")
    E17 = "17", _("哈萨克族")
    E18 = "18", _("傣族")
    E19 = "19", _("黎族")
    E20 = "20", _("傈僳族")
    E21 = "21", _("佤族")
    E22 = "22", _("畲族")
    E23 = "23", _("高山族")
    E24 = "24", _("拉祜族")
    E25 = "25", _("水族")
    E26 = "26", _("东乡族")
    E27 = "27", _("纳西族")
    E28 = "28", _("景颇族")
    E29 = "29", _("柯尔克孜族")
    E30 = "30", _("土族")
    E31 = "31", _("达斡尔族")
    E32 = "32", _("仫佬族")
    E33 = "33", _("羌族")
    E34 = "34", _("布朗族")
    E35 = "35", _("撒拉族")
    E36 = "36", _("毛南族")
    E37 = "37", _("仡佬族")
    E38 = "38", _("锡伯族")
    E39 = "39", _("阿昌族")
    E40 = "40", _("普米族")
    E41 = "41", _("塔吉克族")
    E42 = "42", _("怒族")
    E43 = "43", _("乌孜别克族")
    E44 = "44", _("俄罗斯族")
    E45 = "45", _("鄂温克族")
    E46 = "46", _("德昂族")
    E47 = "47", _("保安族")
    E48 = "48", _("裕固族")
    E49 = "49", _("京族")
    E50 = "50", _("塔塔尔族")
    E51 = "51", _("独龙族")
    E52 = "52", _("鄂伦春族")
    E53 = "53", _("赫哲族")
    E54 = "54", _("门巴族")
    E55 = "55", _("珞巴族")
    E56 = "56", _("基诺族")


class Skill(models.TextChoices):
    MEDICAL = "medical", _("医疗护理")
    FIRST_AID = "first_aid", _("急救")
    PSYCHOLOGICAL = "psychological", _("心理咨询")
    LEGAL = "legal", _("法律")
    RESCUE = "rescue", _("应急救援")
    FIREFIGHTING = "firefighting", _("消防")
    TEACHING = "teaching", _("教育教学")
    IT = "it", _("信息技术")
    LANGUAGE = "language", _("外语")
    SIGN_LANGUAGE = "sign_language", _("手语")
    SOCIAL_WORK = "social_work", _("社会工作")
    PHOTOGRAPHY = "photography", _("摄影摄像")
    DRIVING = "driving", _("驾驶")
    ART = "art", _("文艺")
    SPORTS = "sports", _("体育")
    ACCOUNTING = "accounting", _("财务会计")
    OTHER = "other", _("其他")


class ServiceCategory(models.TextChoices):
    # The eighteen categories of seed 001 (惠州, 第(四)条)
    PARTY_MEMBER = "party_member", _("党员志愿服务")
    EMPTY_NEST_ELDERLY = "empty_nest_elderly", _("关爱空巢老人")
    LEFT_BEHIND_CHILDREN = "left_behind_children", _("关爱留守儿童")
    CHILDREN_IN_DIFFICULTY = "children_in_difficulty", _("关爱困境儿童")
    DISABILITY = "disability", _("助残服务")
    CIVILIZED_TOURISM = "civilized_tourism", _("文明旅游")
    CIVILIZED_TRAFFIC = "civilized_traffic", _("文明交通")
    CULTURE_ARTS = "culture_arts", _("文化文艺")
    EDUCATION_SUPPORT = "education_support", _("助学支教")
    SMART_ELDERLY = "smart_elderly", _("智慧助老")
    HEALTH = "health", _("医疗健康")
    EPIDEMIC = "epidemic", _("疫情防控")
    ENVIRONMENT = "environment", _("环境保护")
    LEGAL_AID = "legal_aid", _("法律援助")
    SCIENCE = "science", _("科学普及")
    PUBLIC_SECURITY = "public_security", _("社会治安")
    RURAL_REVITALIZATION = "rural_revitalization", _("乡村振兴")
    EMERGENCY = "emergency", _("应急救援")
    # Further national categories
    COMMUNITY = "community", _("社区服务")
    POVERTY = "poverty", _("扶贫济困")
    EVENTS = "events", _("大型赛会")
    FIRE_SAFETY = "fire_safety", _("消防安全")
    ANTI_DRUG = "anti_drug", _("禁毒教育")
    WATER = "water", _("节水护河")
    OTHER = "other", _("其他")
