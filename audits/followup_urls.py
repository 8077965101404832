"""What follows from an audit: feedback, safety escalations, learning actions; and the family's link."""

from django.urls import path

from audits import followup_views as views

app_name = "followup"

urlpatterns = [
    path("audits/<int:pk>/feedback/record/", views.feedback_record, name="feedback_record"),
    path("audits/<int:pk>/feedback/link/", views.feedback_link_create, name="feedback_link_create"),
    path("audits/<int:pk>/feedback/<int:request_pk>/", views.feedback_detail, name="feedback_detail"),
    path("audits/<int:pk>/escalate/", views.escalation_raise, name="escalation_raise"),
    path("audits/<int:pk>/learning/", views.audit_actions, name="audit_actions"),
    path("feedback/thanks/", views.public_thanks, name="public_thanks"),
    path("feedback/<str:token>/", views.public_feedback, name="public_feedback"),
    path("escalations/", views.escalation_list, name="escalations"),
    path("escalations/<int:pk>/", views.escalation_detail, name="escalation"),
    path("escalations/<int:pk>/respond/", views.escalation_respond, name="escalation_respond"),
    path("escalations/<int:pk>/close/", views.escalation_close, name="escalation_close"),
    path("learning/", views.action_list, name="actions"),
    path("learning/<int:pk>/done/", views.action_done, name="action_done"),
    path("learning/teams/<int:pk>/", views.team_actions, name="team_actions"),
]
