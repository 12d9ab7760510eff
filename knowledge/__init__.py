"""The park's knowledge: ingest articles, build the index, answer questions from it.

`knowledge.cli` is the command line; `knowledge.service.KnowledgeService` is what the action
server holds; `knowledge.pipeline.Pipeline` runs analysis, retrieval, ranking, judgement and reply.
"""
