import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiyuan.settings")
application = get_wsgi_application()

# Refuse to serve when the key file does not open this database's data (issue #11 item 4).
from zhiyuan.core.keycheck import refuse_unless_keys_open_data  # noqa: E402

refuse_unless_keys_open_data()
