"""/api/v1/activities — projects, activities, the square, enrollment and check-in (ACT-1 … ACT-7).
Each area keeps its operations in its own router (``api_<area>.py``), added here."""

from ninja import Router

from zhiyuan.activities import api_square
from zhiyuan.activities.api_activities import router as manage_router
from zhiyuan.activities.api_attendance import router as attendance_router
from zhiyuan.activities.api_enrollment import router as enrollment_router
from zhiyuan.activities.api_projects import router as projects_router

router = Router(tags=["activities"])
router.add_router("/projects", projects_router)  # ACT-1 the project library
router.add_router("/manage", manage_router)  # ACT-2 the organizer's side
router.add_router("", api_square.router)  # ACT-2 the square, ACT-6 evaluation
router.add_router("", enrollment_router)  # ACT-3 enrollment
router.add_router("", attendance_router)  # ACT-4, ACT-5 check-in and check-out
