"""The proportions the generator draws from, in one place so they can be argued with.

Sources and approximations (documented in docs/benchmarks.md):

* Populations: 7th national census (2020) resident population, rounded to thousands. Provinces
  are weighted by these; inside 广东省 cities are weighted by theirs; inside any other province
  cities are weighted equally. Inside a city, counties are weighted equally, and inside a county,
  towns equally (the shipped region data has no population below the city).
* Ages, political status, gender, skills: round numbers in line with published profiles of
  registered volunteers (students and retirees over-represented; ~55 % women; party members
  ~10 %, Communist Youth League members common among the young). They are plausible shapes for
  load testing, not statistics.
"""

from bisect import bisect
from itertools import accumulate

# 2020 census, thousands of residents.
PROVINCE_POPULATION = {
    "11": 21_893, "12": 13_866, "13": 74_610, "14": 34_915, "15": 24_049, "21": 42_592,
    "22": 24_074, "23": 31_851, "31": 24_871, "32": 84_748, "33": 64_568, "34": 61_027,
    "35": 41_540, "36": 45_189, "37": 101_528, "41": 99_366, "42": 57_752, "43": 66_445,
    "44": 126_013, "45": 50_127, "46": 10_081, "50": 32_054, "51": 83_675, "52": 38_562,
    "53": 47_209, "54": 3_648, "61": 39_529, "62": 25_020, "63": 5_924, "64": 7_202, "65": 25_852,
}  # fmt: skip

CITY_POPULATION = {
    # 广东省, 2020 census (thousands)
    "4401": 18_677, "4402": 2_855, "4403": 17_560, "4404": 2_440, "4405": 5_502, "4406": 9_499,
    "4407": 4_798, "4408": 6_981, "4409": 6_174, "4412": 4_114, "4413": 6_043, "4414": 3_873,
    "4415": 2_673, "4416": 2_838, "4417": 2_603, "4418": 3_969, "4419": 10_467, "4420": 4_418,
    "4451": 2_568, "4452": 5_578, "4453": 2_383,
}  # fmt: skip

# 广东省 cities: telephone area code, digits of a local number, and the approximate position
# (latitude, longitude) of the city seat. Organizations and service points get landlines of their
# city; points get coordinates scattered around the seat (a plausible spread for the map, not
# real positions). Outside 广东省 contacts get mobiles and points no coordinates.
CITY_PHONE = {
    "4401": ("020", 8), "4402": ("0751", 7), "4403": ("0755", 8), "4404": ("0756", 7), "4405": ("0754", 7),
    "4406": ("0757", 8), "4407": ("0750", 7), "4408": ("0759", 7), "4409": ("0668", 7), "4412": ("0758", 7),
    "4413": ("0752", 7), "4414": ("0753", 7), "4415": ("0660", 7), "4416": ("0762", 7), "4417": ("0662", 7),
    "4418": ("0763", 7), "4419": ("0769", 8), "4420": ("0760", 8), "4451": ("0768", 7), "4452": ("0663", 7),
    "4453": ("0766", 7),
}  # fmt: skip
CITY_SEAT = {
    "4401": (23.129, 113.264), "4402": (24.810, 113.597), "4403": (22.543, 114.058), "4404": (22.271, 113.577),
    "4405": (23.354, 116.682), "4406": (23.022, 113.122), "4407": (22.579, 113.082), "4408": (21.271, 110.359),
    "4409": (21.663, 110.925), "4412": (23.047, 112.465), "4413": (23.111, 114.416), "4414": (24.288, 116.122),
    "4415": (22.786, 115.375), "4416": (23.743, 114.701), "4417": (21.858, 111.982), "4418": (23.682, 113.056),
    "4419": (23.021, 113.752), "4420": (22.517, 113.393), "4451": (23.657, 116.623), "4452": (23.550, 116.373),
    "4453": (22.915, 112.044),
}  # fmt: skip

# Where people registered in a province were born (the ID number's address code): most locally,
# the rest in the big provinces of origin of internal migrants.
LOCAL_BIRTH_SHARE = 0.75
MIGRANT_ORIGIN_PROVINCES = ("43", "45", "51", "36", "42", "41", "35", "52")

# (minimum age, maximum age, weight): pupils with guardian consent, students, young workers,
# middle-aged workers, retirees.
AGE_BANDS = (
    (14, 17, 6),
    (18, 22, 24),
    (23, 35, 24),
    (36, 59, 30),
    (60, 80, 16),
)

FEMALE_SHARE = 0.55

# GB/T 4762 political status: code -> weight, by age group.
POLITICAL_STATUS_YOUNG = {"03": 45, "01": 2, "02": 1, "13": 52}  # age <= 28: 共青团员 common
POLITICAL_STATUS_ADULT = {"01": 13, "02": 1, "03": 1, "04": 1, "12": 1, "13": 83}  # 04 民革 … 12 无党派

# GB/T 4658 education (of adults; pupils and students get 20/30 by age).
EDUCATION = {"10": 5, "20": 30, "30": 20, "60": 25, "70": 15, "80": 5}
# GB/T 3304 ethnicity: 汉族 dominates in 广东; 壮 瑶 土家 苗 among the rest.
ETHNICITY = {"01": 97, "08": 1.2, "13": 0.5, "15": 0.5, "06": 0.8}

# Skills (VOL-4): most volunteers list none or one.
SKILLS = {
    "medical": 6, "psychological": 3, "legal": 2, "rescue": 4, "teaching": 10, "it": 7,
    "language": 5, "sign_language": 1, "photography": 5, "driving": 8, "art": 5, "sports": 6,
}  # fmt: skip
SKILL_COUNT = {0: 45, 1: 35, 2: 15, 3: 5}

# Surnames by frequency in 广东 (陈 李 黄 张 梁 林 …) and given-name characters.
SURNAMES = {
    "陈": 10, "李": 8, "黄": 7, "张": 6, "梁": 4, "林": 4, "刘": 4, "吴": 3.5, "罗": 3, "杨": 3,
    "周": 2.5, "郑": 2.5, "何": 2.5, "王": 2.5, "钟": 2, "曾": 2, "谢": 2, "叶": 2, "邓": 2,
    "冯": 1.5, "蔡": 1.5, "赖": 1.2, "许": 1.2, "朱": 1.2, "卢": 1.2, "苏": 1, "潘": 1, "徐": 1,
    "赵": 1, "胡": 1, "郭": 1, "古": 0.5, "欧阳": 0.3, "司徒": 0.1,
}  # fmt: skip
GIVEN_FEMALE = "芳娜敏静丽婷雪慧颖琳欣怡晓燕玲萍红霞佳梓涵诗雨思嘉欣悦"
GIVEN_MALE = "伟强磊军洋勇杰涛明超辉刚健浩宇俊鹏峰志文博子轩浚锦荣华"
GIVEN_COMMON = "晨梓嘉俊子宇文乐安家一思天艺"

# Mobile prefixes (139 is left out: the test cast and demo accounts use 1390000xxxx).
MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "150", "151", "152",
                   "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183",
                   "186", "187", "188", "189", "191", "198", "199")  # fmt: skip


class Picker:
    """Weighted choice with precomputed cumulative weights (random.choices recomputes them)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, weights: dict):
        self.items = list(weights)
        self.cum = list(accumulate(float(w) for w in weights.values()))
        self.total = self.cum[-1]
        if self.total <= 0:
            raise ValueError("weights must not all be zero")

    def __call__(self, rng):
        return self.items[bisect(self.cum, rng.random() * self.total)]
