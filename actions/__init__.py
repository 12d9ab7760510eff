"""Custom actions of the Rasa bot, run by the rasa-sdk action server.

The actions are thin: retrieval lives in the `knowledge` library, texts in
`replies`, formatting in `formatting`.
"""
