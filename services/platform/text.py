"""Text a client sends that ends up in PostgreSQL, which cannot store a NUL character.

Request models say so in their schema (``pattern=STORABLE_TEXT``), so that the contract
states what the service refuses (a 422) instead of a schema-valid string failing later.

>>> import re
>>> bool(re.match(STORABLE_TEXT, "Sandbox mug")), bool(re.match(STORABLE_TEXT, "a\\x00b"))
(True, False)
"""

STORABLE_TEXT = r"^[^\x00]*$"
