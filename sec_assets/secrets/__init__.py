"""Secrets known by value: every configured secret, collected once when the settings load, is
masked in each of its spellings before anything is stored, logged or shown (``redactor.py``);
what an echoing relay put in an answer is masked and counted before bronze keeps it
(``echo.py``)."""
