"""/api/v1/records — hours, the confirmation queue, honour hours and corrections (REC-1 … REC-4)."""

from ninja import Router

router = Router(tags=["records"])
