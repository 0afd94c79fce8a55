"""/api/v1/activities — projects, activities, the square, enrollment and check-in (ACT-1 … ACT-7).
Each area keeps its operations in its own router (``api_<area>.py``), added here."""

from ninja import Router

router = Router(tags=["activities"])

from zhiyuan.activities.api_attendance import router as attendance_router  # noqa: E402

router.add_router("", attendance_router)
