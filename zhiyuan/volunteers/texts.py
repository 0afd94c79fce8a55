"""Fixed texts a volunteer accepts: the oath (VOL-7) and the first privacy notice (VOL-6).

The privacy notice is versioned in the database (``PrivacyNotice``); the text below is only the
first version, loaded by a data migration. The oath is the standard 中国志愿者誓词; its version
is stored with each acceptance so a later change of wording stays traceable.
"""

from django.utils.translation import gettext_lazy as _

OATH_VERSION = "oath-2014"
OATH_TEXT = (
    "我愿意成为一名光荣的志愿者。我承诺：尽己所能，不计报酬，帮助他人，服务社会。"
    "践行志愿精神，传播先进文化，为建设团结互助、平等友爱、共同前进的美好社会贡献力量。"
)

GUARDIAN_CONSENT_VERSION = "guardian-1"
LOCATION_CONSENT_VERSION = "location-1"

# How a stored text version reads on a page (the stored value stays an internal label).
VERSION_LABELS = {
    OATH_VERSION: _("中国志愿者誓词（2014年版）"),
    GUARDIAN_CONSENT_VERSION: _("第1版"),
    LOCATION_CONSENT_VERSION: _("第1版"),
}


def consent_version_label(version: str) -> str:
    """``oath-2014`` → 中国志愿者誓词（2014年版）; a privacy notice version ``1.0`` → v1.0."""
    label = VERSION_LABELS.get(version)
    return str(label) if label else f"v{version}"

PRIVACY_NOTICE_V1_TITLE = "志愿者个人信息保护告知书"
PRIVACY_NOTICE_V1 = """\
本告知书依据《中华人民共和国个人信息保护法》《志愿服务条例》制定，说明本平台如何处理您的个人信息。

一、处理者：本志愿服务信息系统的运营单位（各地志愿服务主管部门及其委托的运营机构）。

二、处理目的：志愿者实名注册、身份核验、活动招募与匹配、签到与服务时长记录、出具志愿服务证明、
表彰激励、统计分析（统计结果不包含可识别个人的信息）。

三、处理的个人信息：姓名、证件类型及号码、性别、出生日期、手机号码、居住区划、政治面貌、学历、民族、
电子邮箱、技能与资质、服务意向、可服务时间、照片、服务记录。证件号码属于敏感个人信息，加密存储，
除您本人外仅以去标识化（部分隐藏）的形式显示，经授权的管理人员查看完整号码时均留有审计记录。
居住位置为可选项，仅在您单独同意后用于就近匹配活动，不向任何他人展示。
不满十四周岁未成年人的个人信息均属于敏感个人信息，须经监护人同意后方可处理。

四、保存期限：志愿服务记录依照《志愿服务组织基本规范》（GB/T 40143-2021）至少保存十年。

五、您的权利：您可以随时查阅、复制（下载）本人全部数据，申请更正错误或缺漏的信息，撤回同意。
撤回同意后，平台停止除存储和安全保护以外的一切处理：您不再出现在任何列表、检索、导出和活动匹配中，
已有的服务记录按法定期限保存，不予删除。撤回不影响撤回前基于同意已进行的处理。

六、数据存储：个人信息存储于中华人民共和国境内。

七、联系方式：您可以通过本平台“个人资料—隐私与权利”页面行使上述权利，或联系所在地志愿服务主管部门。
"""
