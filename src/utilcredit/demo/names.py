"""Vocabularies for plausible Chinese names, addresses and phone numbers, and the names of
legal persons by category (:func:`legal_name`).

Names are composed from short lists so that a million subjects stay varied without shipping
a dictionary; they are fiction (any resemblance to a real firm is accidental).
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TypeVar

from utilcredit.demo.regions import County, Region

T = TypeVar("T")

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN_CHARS = tuple(
    "建国华明伟芳娟敏静丽强磊军洋勇艳杰涛超秀霞平刚桂英红玉兰志文海春波辉林斌鹏飞宇浩云峰亮成荣新庆德永"
)

# Brand syllables of company names (宏达, 鑫源 …).
BRAND_FIRST = tuple(
    "宏鑫恒华金盛润嘉德泰瑞永兴隆富丰天新正中明安诚信利达源福顺通博远佳锦东亚海江淮绿康昌美联万荣辉汇晨"
)
BRAND_SECOND = tuple("达源泰盛兴隆发昌祥瑞丰利通和成安信德华宇鑫诚嘉创业邦基特力威凯旺福宏辉远合茂")

INDUSTRIES = (
    "食品",
    "纺织",
    "机械",
    "化工",
    "建材",
    "电子",
    "科技",
    "农业科技",
    "物流",
    "商贸",
    "印染",
    "塑业",
    "包装",
    "钢结构",
    "环保科技",
    "医药",
    "服饰",
    "木业",
    "家具",
    "酒业",
    "米业",
    "水产",
    "养殖",
    "置业",
    "物业管理",
    "餐饮管理",
    "酒店管理",
    "汽车服务",
    "混凝土",
    "新材料",
    "光伏科技",
    "电力设备",
    "精密制造",
    "饲料",
    "冷链物流",
    "再生资源",
    "建设工程",
)
COMPANY_SUFFIXES = ("有限公司",) * 8 + ("有限责任公司", "股份有限公司", "厂")

SHOP_KINDS = (
    "饭店",
    "超市",
    "五金店",
    "洗车行",
    "浴室",
    "农家乐",
    "百货商店",
    "粮油店",
    "汽修店",
    "茶楼",
    "宾馆",
    "水果店",
    "服装店",
    "面馆",
    "豆腐坊",
    "烧烤店",
    "理发店",
    "建材店",
)
COOPERATIVE_KINDS = ("种植专业合作社", "养殖专业合作社", "农机专业合作社", "果蔬专业合作社")
SOCIAL_ORG_KINDS = ("行业协会", "商会", "慈善会", "民办幼儿园", "培训学校", "养老院")
PUBLIC_BODY_KINDS = (
    "自来水厂",
    "人民医院",
    "第一中学",
    "实验小学",
    "疾病预防控制中心",
    "水利站",
    "农业技术推广中心",
    "市场监督管理所",
    "文化站",
    "社区卫生服务中心",
)
VILLAGE_SUFFIXES = ("村股份经济合作社", "村经济合作社", "社区股份经济合作社")
VILLAGE_FIRST = tuple("东西南北前后大小新老张王李刘陈杨高周徐朱")
VILLAGE_SECOND = tuple("庄集河湖圩桥营洼沟岗庙楼店港坝")

ROAD_FIRST = (
    "人民",
    "建设",
    "解放",
    "中山",
    "新华",
    "工业",
    "园区",
    "幸福",
    "和平",
    "健康",
    "振兴",
    "发展",
    "迎宾",
    "环城",
    "滨河",
    "商业",
    "文化",
    "学府",
    "创业",
    "开元",
)
# Government organs of a county (category 11).
GOVERNMENT_ORGANS = (
    "水利局",
    "交通运输局",
    "自然资源局",
    "人民法院",
    "公安局",
    "教育局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "生态环境局",
    "农业农村局",
)
ROAD_SUFFIXES = ("路", "路", "街", "大道", "东路", "西路", "南路", "北路")

# Mobile number blocks in use (the second digit is 3-9 for every Chinese mobile number).
MOBILE_PREFIXES: tuple[str, ...] = (
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    "166",
    "173",
    "177",
    *(f"18{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    "198",
    "199",
)


def pick(rng: Random, items: Sequence[T]) -> T:
    """``rng.choice`` without its rejection sampling: a third of the cost, and the tiny bias
    of scaling a float is irrelevant for made-up names."""
    return items[int(rng.random() * len(items))]


def person_name(rng: Random) -> str:
    given = pick(rng, GIVEN_CHARS)
    if rng.random() < 0.8:  # most given names have two characters
        given += pick(rng, GIVEN_CHARS)
    return pick(rng, SURNAMES) + given


def brand(rng: Random) -> str:
    return pick(rng, BRAND_FIRST) + pick(rng, BRAND_SECOND)


def phone(rng: Random) -> str:
    return f"{pick(rng, MOBILE_PREFIXES)}{int(rng.random() * 100_000_000):08d}"


def street_address(rng: Random) -> str:
    """The part after the town: road and house number (人民路128号)."""
    return f"{pick(rng, ROAD_FIRST)}{pick(rng, ROAD_SUFFIXES)}{1 + int(rng.random() * 399)}号"


def village_name(rng: Random) -> str:
    return pick(rng, VILLAGE_FIRST) + pick(rng, VILLAGE_SECOND)


def legal_name(rng: Random, category: str, region: Region, county: County, town: str) -> str:
    """A legal person's name for its category (登记管理部门码 + 机构类别码, e.g. ``91`` a company),
    placed in its county and town."""
    brand_name = brand(rng)
    if category == "91":
        place = pick(
            rng,
            (county.name, county.name, region.city, region.city_short, region.province_short),
        )
        return place + brand_name + pick(rng, INDUSTRIES) + pick(rng, COMPANY_SUFFIXES)
    if category == "92":
        return county.name + town + brand_name + pick(rng, SHOP_KINDS)
    if category == "93":
        return county.name + brand_name + pick(rng, COOPERATIVE_KINDS)
    if category == "51":
        return county.name + pick(rng, INDUSTRIES) + "协会"
    if category == "52":
        return county.name + brand_name + pick(rng, SOCIAL_ORG_KINDS)
    if category == "53":
        return region.city + brand_name + "慈善基金会"
    if category == "11":
        return county.name + pick(rng, GOVERNMENT_ORGANS)
    if category == "12":
        return county.name + town + pick(rng, PUBLIC_BODY_KINDS)
    if category == "N2":
        return county.name + town + village_name(rng) + pick(rng, VILLAGE_SUFFIXES)
    return county.name + brand_name + "联合会"
