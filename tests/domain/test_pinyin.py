"""Pinyin search keys (pure): a Chinese name found by its pinyin, whole or by initials."""

from __future__ import annotations

from desk.domain import search


def test_a_name_by_its_pinyin_and_initials():
    assert search.pinyin_keys("王丽") == ("wangli", "wl")
    assert search.pinyin_keys("周经理") == ("zhoujingli", "zjl")
    assert search.pinyin_keys("王 丽") == ("wangli", "wl")  # separators dropped


def test_a_surname_is_read_as_a_surname():
    assert search.pinyin_keys("曾小贤") == ("zengxiaoxian", "zxx")  # not ceng
    assert search.pinyin_keys("单田芳")[0].startswith("shan")  # not dan
    assert search.pinyin_keys("小曾")[0] == "xiaoceng"  # only the first character is the surname


def test_latin_names_have_no_pinyin_and_mixed_names_keep_their_words():
    assert search.pinyin_keys("Tom Becker") == ("", "")
    assert search.pinyin_keys("Tom王") == ("tomwang", "tw")
    assert search.pinyin_keys("ＷＡＮＧ丽") == ("wangli", "wl")  # full-width letters folded


def test_pinyin_is_probed_only_for_letters():
    cols = lambda q: [p.column for p in search.probes(q)]
    assert {"pinyin_key", "initials_key"} <= set(cols("wl"))
    assert "pinyin_key" not in cols("w")  # one letter matches a fifth of the shop
    assert "pinyin_key" not in cols("京A1")
    assert "pinyin_key" not in cols("1381")


def test_every_common_surname_has_a_reading():
    for name in "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤":
        full, initials = search.pinyin_keys(name)
        assert full.isascii() and full.isalpha() and initials == full[0], name
