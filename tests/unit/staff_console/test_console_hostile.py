"""Bad input to the console's forms gets a clear message, never a crash (500)."""

from __future__ import annotations

from console_client import Console


def test_hostile_form_input_is_refused_with_a_reason(console: Console) -> None:
    console.sign_in()
    token = console.csrf("/inbox")
    assert console.client.get("/faq/99999999999999999999").status_code == 404
    for ids in ["", "abc", "1 2 x", "99999999999", "-1", "1" * 5000]:
        response = console.client.post("/inbox/close", data={"csrf": token, "ids": ids, "status": "out_of_scope"})
        assert response.status_code == 200 and "not saved" in response.text, ids
    response = console.client.post("/inbox/close", data={"csrf": token, "ids": "1", "status": "deleted"})
    assert "not saved" in response.text
    page = console.client.post("/faq/new", data={"csrf": token, "questions": "Q?", "answer": "答" * 5000})
    assert page.status_code == 400 and "at most 4000 characters" in page.text
    page = console.client.post("/faq/new", data={"csrf": token, "questions": "Q?", "answer": "A",
                                                 "expires_on": "tomorrow"})
    assert page.status_code == 400 and "YYYY-MM-DD" in page.text
    huge = console.client.post("/faq/new", data={"csrf": token, "questions": "Q" * 300_000, "answer": "A"})
    assert huge.status_code == 413
    upload = console.client.post("/faq/import", data={"csrf": token},
                                 files={"file": ("x.csv", b"a" * (console.cfg.max_upload_bytes + 1), "text/csv")})
    assert upload.status_code == 413
    assert console.client.post("/faq/import", data={"csrf": token}).status_code == 200  # no file: "choose a file"
    hit = console.client.get("/hittest", params={"q": "科创中心在哪里？"})
    assert hit.status_code == 200 and "not available" in hit.text  # no index here: said on the page
    assert "<script>alert(1)</script>" not in console.client.get("/hittest", params={"q": "<script>alert(1)</script>"}).text


def test_absurd_ids_in_the_path_are_not_found(console: Console) -> None:
    console.sign_in()
    for path in ["/faq/" + "9" * 5000, "/faq/0", "/faq/x1", "/faq/" + "9" * 5000 + "/delete"]:
        response = console.client.get(path)
        assert response.status_code in (404, 405), (path[:12], response.status_code)
