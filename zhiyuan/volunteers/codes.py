"""National code tables of the volunteer profile (SPEC VOL-4, RULES "Code tables").

Stored as codes (``"01"``, ``"teaching"``); labels are translated at display time. ``code_tables``
exposes them to forms, services and exports as ``[(code, label)]``.

* political status GB/T 4762, education GB/T 4658 (the summary codes), ethnicity GB/T 3304;
* skills and professional qualifications (SPEC VOL-4 names medical, psychological, legal,
  rescue, teaching, IT, languages, sign language …);
* service categories: the eighteen categories of the Huizhou plan (seed 001, 第(四)条) followed
  by further national ones (community service, poverty relief, large events …).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


_ETHNIC_GROUPS = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip

# GB/T 3304: 01 汉族 … 56 基诺族, in the standard's order. Labels are proper names of the groups;
# the English catalogue translates them.
Ethnicity = models.TextChoices(
    "Ethnicity", [(f"E{i:02d}", (f"{i:02d}", _(name))) for i, name in enumerate(_ETHNIC_GROUPS, start=1)]
)


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
