"""Geography of the five seed regions: counties with their division codes and towns.

Division codes (GB/T 2260) go into the unified social credit codes, resident ID numbers and
account numbers, so a subject's code, account and address all agree on its county.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class County:
    division: str  # 6-digit GB/T 2260 code
    name: str  # 涟水县, 曾都区 …
    short: str  # used in company names: 涟水, 曾都 …
    towns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Region:
    key: str
    province: str  # 江苏省
    province_short: str  # 江苏 (company names: 江苏XX有限公司)
    city: str  # 淮安市
    city_short: str  # 淮安
    credit_source: str  # which provincial credit platform issues the reports
    counties: tuple[County, ...]
    # Relative weight of each county: the utility's home county dominates.
    county_weights: tuple[int, ...]


def _towns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_LIANSHUI = Region(
    key="lianshui",
    province="江苏省",
    province_short="江苏",
    city="淮安市",
    city_short="淮安",
    credit_source="jiangsu",
    counties=(
        County(
            "320826",
            "涟水县",
            "涟水",
            _towns(
                "涟城镇 高沟镇 保滩镇 红窑镇 唐集镇 岔庙镇 东胡集镇 南集镇 义兴镇 五港镇 "
                "梁岔镇 石湖镇 朱码镇 黄营镇 成集镇 陈师街道 大东镇"
            ),
        ),
    ),
    county_weights=(1,),
)

_HUAIYIN = Region(
    key="huaiyin",
    province="江苏省",
    province_short="江苏",
    city="淮安市",
    city_short="淮安",
    credit_source="jiangsu",
    counties=(
        County(
            "320804",
            "淮阴区",
            "淮阴",
            _towns(
                "王家营街道 长江路街道 新渡口街道 王营镇 赵集镇 吴城镇 南陈集镇 码头镇 王兴镇 "
                "渔沟镇 吴集镇 徐溜镇 刘老庄镇 丁集镇 五里镇 三树镇 韩桥乡 古寨乡"
            ),
        ),
    ),
    county_weights=(1,),
)

_SUIZHOU = Region(
    key="suizhou",
    province="湖北省",
    province_short="湖北",
    city="随州市",
    city_short="随州",
    credit_source="hubei",
    counties=(
        County(
            "421303",
            "曾都区",
            "曾都",
            _towns("西城街道 东城街道 南郊街道 北郊街道 何店镇 洛阳镇 府河镇 万店镇"),
        ),
        County(
            "421321",
            "随县",
            "随县",
            _towns(
                "厉山镇 高城镇 殷店镇 草店镇 小林镇 淮河镇 万和镇 尚市镇 唐县镇 吴山镇 "
                "新街镇 安居镇 环潭镇 洪山镇 三里岗镇 柳林镇 均川镇"
            ),
        ),
        County(
            "421381",
            "广水市",
            "广水",
            _towns(
                "应山街道 十里街道 广水街道 城郊街道 马坪镇 杨寨镇 陈巷镇 长岭镇 郝店镇 武胜关镇"
            ),
        ),
    ),
    county_weights=(5, 3, 2),
)

_SHAOGUAN = Region(
    key="shaoguan",
    province="广东省",
    province_short="广东",
    city="韶关市",
    city_short="韶关",
    credit_source="guangdong",
    counties=(
        County("440203", "武江区", "武江", _towns("新华街道 惠民街道 西联镇 龙归镇 江湾镇 重阳镇")),
        County(
            "440204",
            "浈江区",
            "浈江",
            _towns("东河街道 车站街道 风采街道 新韶镇 乐园镇 十里亭镇 犁市镇 花坪镇"),
        ),
        County(
            "440205",
            "曲江区",
            "曲江",
            _towns("马坝镇 大塘镇 枫湾镇 小坑镇 沙溪镇 乌石镇 樟市镇 白土镇 罗坑镇"),
        ),
        County("440281", "乐昌市", "乐昌", _towns("乐城街道 北乡镇 坪石镇 长来镇 廊田镇 九峰镇")),
        County("440282", "南雄市", "南雄", _towns("雄州街道 珠玑镇 乌迳镇 湖口镇 黄坑镇 水口镇")),
    ),
    county_weights=(4, 4, 3, 2, 2),
)

_ZHANJIANG = Region(
    key="zhanjiang",
    province="广东省",
    province_short="广东",
    city="湛江市",
    city_short="湛江",
    credit_source="guangdong",
    counties=(
        County(
            "440802",
            "赤坎区",
            "赤坎",
            _towns("中华街道 寸金街道 民主街道 中山街道 沙湾街道 调顺街道 南桥街道 北桥街道"),
        ),
        County(
            "440803",
            "霞山区",
            "霞山",
            _towns("解放街道 爱国街道 工农街道 友谊街道 新兴街道 海滨街道 建设街道 东新街道"),
        ),
        County("440804", "坡头区", "坡头", _towns("南调街道 坡头镇 乾塘镇 龙头镇 南三镇")),
        County("440811", "麻章区", "麻章", _towns("麻章镇 太平镇 湖光镇 湖光岩街道")),
        # The Economic and Technological Development Zone (petrochemical and steel parks on
        # Donghai island) is one of Zhanjiang's credit-application pilot zones; firms there
        # register with the city-level division code.
        County("440800", "湛江经济技术开发区", "湛江", _towns("东山街道 东简街道 民安街道 硇洲镇")),
        County("440823", "遂溪县", "遂溪", _towns("遂城镇 黄略镇 洋青镇 界炮镇 乐民镇 岭北镇")),
        County(
            "440881", "廉江市", "廉江", _towns("罗州街道 城南街道 城北街道 石城镇 安铺镇 横山镇")
        ),
        County(
            "440882", "雷州市", "雷州", _towns("雷城街道 新城街道 西湖街道 客路镇 杨家镇 沈塘镇")
        ),
    ),
    county_weights=(4, 4, 2, 2, 3, 2, 2, 2),
)

REGIONS: dict[str, Region] = {
    r.key: r for r in (_LIANSHUI, _HUAIYIN, _SUIZHOU, _SHAOGUAN, _ZHANJIANG)
}


def get_region(key: str) -> Region:
    try:
        return REGIONS[key]
    except KeyError:
        known = ", ".join(sorted(REGIONS))
        raise ValueError(f"unknown demo region {key!r}; known: {known}") from None
