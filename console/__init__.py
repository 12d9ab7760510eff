"""The park staff's console: sign-in, the inbox of unanswered and disliked questions, curated
answers (FAQ), the hit test and the leads list. A Starlette app (`python -m console`) served by
uvicorn, with Jinja2 templates and a little vanilla JavaScript; `make run` starts it."""
