from django.contrib.admin.apps import AdminConfig


class QAAdminConfig(AdminConfig):
    """Django's admin, with the platform's site class (see ``qa_system.admin_site``)."""

    default_site = "qa_system.admin_site.QAAdminSite"
