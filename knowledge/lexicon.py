"""Words that carry no subject in a question: function words and the way people ask.

They are dropped before lexical search and before checking whether the articles
contain what a question is about. Lists are about how questions are phrased in
general (Chinese and English), never about a particular article.
"""

from __future__ import annotations

ZH_STOPWORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 嘛 么 哦 哈 着 过 是 在 有 和 与 及 或 也 都 就 还 又 而 并 把 被 让 给 对 向 从 到 于 为 之 其 这 那 这个 那个 这些 那些 这里
    那里 此 该 本 每 各 个 种 些 点 一下 一些 一点 一个 一共 共 总共 我 我们 你 你们 您 他 她 它 他们 她们 它们 咱们 大家 自己 请 请问 问 想 想问 想知道 知道
    了解 告诉 说说 讲讲 介绍 介绍一下 说明 解释 讲 说 看 看看 查 查询 帮 帮我 能 能否 可以 可否 会 要 需要 应该 是否 是不是 有没有 有无 什么 啥 哪 哪些 哪个 哪里
    哪儿 哪家 哪所 哪位 谁 几 几个 多少 多大 多高 多长 多久 多远 怎么 怎样 怎么样 如何 为何 为什么 何时 什么时候 何地 何处 多 少 吗 呢 么样 情况 具体 主要 目前 现在
    已经 一般 大概 大约 左右 相关 方面 以及 等 等等 还有 另外 此外 然后 所以 因为 但是 不过 如果 那么 关于 对于 通过 根据 其中 当中 里面 里 上 下 中 内 外 前 后
    时 时候 没有 指 指的是 方式 东西 事情 问题 一 二 三 吗？ 呢？ 啊？ 请教 谢谢 好的 麻烦
    以后 之后 以前 之前 当初 当年 后来 当时 那时 那时候 届时 用来 用于 做 搞 弄 干 大致 究竟 到底 一直 曾经
    这边 那边 这儿 那儿
    """.split()
) | frozenset(
    # The same question words as Chongqing and Sichuan write them (Southwestern Mandarin): 好多
    # for 多少, 好大 for 多大, 好远 for 多远, 好久 for 多久, 啥子 for 什么, 咋个 and 啷个 for 怎么, 没得 for 没有.
    "好多 好多钱 好大 好远 好久 好长 好高 啥子 咋个 咋样 啷个 没得 有没得".split()
)

EN_STOPWORDS = frozenset(
    """
    a an the of in on at to for from by with about into over under and or but if then than so as is
    are was were be been being am do does did doing have has had having can could will would shall
    should may might must i me my we our us you your he him his she her it its they them their this
    that these those there here what which who whom whose when where why how much many any some all
    each every no not yes please tell know explain describe give show me list kind sort type whether
    does anything something thing things park's its it's what's how's there's let let's like just
    also too very really about around per
    """.split()
)

# Words that ask *for* an attribute (where, how big, how much money): a question about
# a subject's attribute is answerable when the subject is found, even if the article
# words the attribute differently ("地址" asked, "位于" written).
ZH_ATTRIBUTE_WORDS = frozenset(
    """
    地址 位置 地点 位于 在哪 面积 大小 规模 多大 占地 时间 日期 年份 成立 何时 数量 数目 人数 金额 投资 总投资 多少钱 费用 名称 名字 内容 作用 角色 定位 特点 优势
    情况 现状 进展 计划 目标 方向 意义 类型 种类 构成 组成 包括 包含 部分 有哪些 哪些 排名 成果 成绩 介绍 简介 概况 扮演 角色 地方 样子 定义 意思 含义 指的是
    """.split()
)

EN_ATTRIBUTE_WORDS = frozenset(
    """
    where located location address large big size area how much many number total amount investment
    invest founded established set up date year when time name called role purpose aim goal goals
    plan plans type types kind key main major list overview introduce introduction summary part parts
    component components consist consists composed money cost costs price prices
    """.split()
)

# Words that point back to the previous turn's subject.
ZH_ANAPHORA = frozenset(
    """
    它 它们 其 该 这个 那个 这里 那里 此 这家 那家 这块 那块 那边 这边 该园 该项目
    当时 那时 那时候 届时 这儿 那儿
    """.split()
)
EN_ANAPHORA = frozenset(
    """
    it its it's they them their there this that those these
    """.split()
)
