"""Custom actions of the Rasa bot, run by the rasa-sdk action server.

The actions are thin: retrieval lives in the `knowledge` library, the bot's own texts in
`knowledge.phrases` (shared with the channels), formatting of answers in `formatting`.
"""
