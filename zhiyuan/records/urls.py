"""Pages of the hour ledger: a volunteer's hours, an organization's confirmation queue,
corrections."""

app_name = "records"

urlpatterns: list = []
