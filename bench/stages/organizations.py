"""Stage 3: organizations of every kind and their memberships (ORG-1, ORG-4)."""

from bench.stages import Context, require_models


class OrganizationsStage:
    name = "organizations"
    models = ("organizations.Organization", "organizations.Membership")

    def run(self, ctx: Context) -> dict[str, int]:
        require_models(*self.models)
        from bench.stages.pending import Missing

        raise Missing("organizations exist now: write the organizations stage")


STAGES = [OrganizationsStage()]
