"""/api/v1/activities — projects, activities, the square, enrollment and check-in (ACT-1 … ACT-7).
Each area keeps its operations in its own router (``api_<area>.py``), added here."""

from ninja import Router

from zhiyuan.activities.api_enrollment import router as enrollment_router

router = Router(tags=["activities"])
router.add_router("", enrollment_router)
