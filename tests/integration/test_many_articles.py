"""The park's own article among eleven fictional ones (tests/fixtures/articles): neighbouring
parks with similar figures, policies, competing project news, an English article."""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.analysis import split_questions
from knowledge.evaluate import evaluate, load_cases, service_asker
from knowledge.index import build_index
from knowledge.service import KnowledgeService
from knowledge.settings import Settings

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, articles_dir, embedder) -> KnowledgeService:
    base = tmp_path_factory.mktemp("crowded")
    articles = base / "articles"
    shutil.copytree(FIXTURES / "articles", articles)
    for article in articles_dir.iterdir():
        shutil.copy(article, articles / article.name)
    settings = replace(Settings.from_env({}), articles_dir=articles, index_dir=base / "index", cache_dir=base / "cache")
    build_index(settings, embedder)
    return KnowledgeService.from_settings(settings, embedder)


def test_an_answer_quotes_one_article_and_the_one_its_question_names(crowded):
    wrong_article = []
    for case in load_cases(FIXTURES / "fixture_questions.yml"):
        if case.abstain or case.previous or len(split_questions(case.question)) > 1:
            continue
        answer = crowded.ask(case.question)
        if answer.grounded:
            assert len({s.source for s in answer.sources}) == 1, (case.id, answer.sources)
            if case.source and answer.sources[0].source != case.source:
                wrong_article.append((case.id, answer.sources[0].source))
    assert len(wrong_article) <= 3, wrong_article


def test_wrong_answers_with_a_citation_stay_rare_among_many_articles(crowded):
    report = evaluate(load_cases(FIXTURES / "fixture_questions.yml"), service_asker(crowded))
    wrong = [r.case.id for r in report.results if r.answer.grounded and not r.passed]
    assert len(wrong) <= 0.1 * len(report.results), wrong


def test_a_later_part_of_a_message_asks_about_the_park_the_first_part_names(crowded):
    # The rent asked in the second part is 西永's; only 歌乐山's article states a talent-apartment
    # rent, and quoting it would answer about another park.
    answer = crowded.ask("西永微电子创新港有人才公寓吗？租金每平米多少钱")
    quoted = {s.source for s in answer.sources} if answer.grounded else set()
    assert "gele-talent-housing-services.txt" not in quoted, answer.answer


@pytest.mark.xfail(strict=True, reason="known gap: '园区' names no park, and neighbouring parks' figures then "
                   "compete (dev accuracy drops by a case, wrong answers with a citation rise); needs the "
                   "home park's articles marked (article metadata)")
def test_adding_other_parks_articles_does_not_lower_dev_accuracy(crowded, service, dev_set):
    alone = evaluate(load_cases(dev_set), service_asker(service))
    among = evaluate(load_cases(dev_set), service_asker(crowded))

    def right(report):
        return sum(r.passed for r in report.results)

    def wrong(report):
        return sum(r.answer.grounded and not r.passed for r in report.results)

    assert right(among) >= right(alone) and wrong(among) <= wrong(alone)
