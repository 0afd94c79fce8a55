"""The training import runs as an import job: its tests use the import-job tests' fixtures
(each test's own private directory; ``background``: uploads wait for a worker run by the test)."""

from zhiyuan.volunteers.tests.test_import_jobs import background, private_dir  # noqa: F401
