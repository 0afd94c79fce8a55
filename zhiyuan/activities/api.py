"""/api/v1/activities — projects, activities, the square, enrollment and check-in (ACT-1 … ACT-7).
Each area keeps its operations in its own router (``api_<area>.py``), added here."""

from ninja import Router

router = Router(tags=["activities"])

from zhiyuan.activities import api_square  # noqa: E402  (the square and evaluation, ACT-2/ACT-6)

router.add_router("", api_square.router)
