"""The Django project: settings, URL map, WSGI entry point and the Celery application."""

from qa_system.celery import app as celery_app

__all__ = ["celery_app"]
