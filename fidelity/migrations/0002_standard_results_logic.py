"""The standard results-logic tree and the standard case-practice rubric, so that every installation
has them (domain.md §2.2 and §2.5).

Rows are created with ``get_or_create`` by their stable key, so running the migration again leaves
edits made by platform admins alone. The reverse removes the rubric and the nodes this migration
lists (a node still used elsewhere is protected, and the reverse then fails rather than lose data).
"""

from django.db import migrations

# (key, name, description). The parent of a node is the key without its last dotted part; the
# order among siblings is the order of this list.
NODES = [
    (
        "outcomes",
        "Outcomes",
        "What changes for children, families and the workforce: the results that the practice and "
        "the organisation aim for (Domain brief §2.2).",
    ),
    (
        "outcomes.children_families",
        "Outcomes for children and families",
        "Whether children are safer and families do better: re-referrals, repeat child protection "
        "plans, plans lasting two years or more, entry and re-entry to care, kinship care, and what "
        "families and children say about the help they get (Domain brief §2.2).",
    ),
    (
        "outcomes.children_families.referrals",
        "Referrals",
        "Referrals to children's social care, the starting point for the rates that follow "
        "(Domain brief §2.2, §4).",
    ),
    (
        "outcomes.children_families.rereferral",
        "Re-referrals within 12 months",
        "Children referred again within 12 months of an earlier referral. Fewer re-referrals "
        "suggest that the first help left the child safe (Domain brief §2.2, §4).",
    ),
    (
        "outcomes.children_families.cp_plans",
        "Child protection plans",
        "Children who become the subject of a child protection plan (Domain brief §2.2).",
    ),
    (
        "outcomes.children_families.repeat_cp_plans",
        "Repeat child protection plans",
        "Children who become the subject of a child protection plan for a second or later time, a "
        "sign that safety was not sustained (Domain brief §2.2).",
    ),
    (
        "outcomes.children_families.cp_plan_duration",
        "Child protection plans lasting two years or more",
        "Plans that last two years or more, a sign that the worries are not being resolved "
        "(Domain brief §2.2).",
    ),
    (
        "outcomes.children_families.care_entry",
        "Entry to care",
        "Children who start to be looked after, which drives the rate of children looked after "
        "(Domain brief §2.2).",
    ),
    (
        "outcomes.children_families.reentry_to_care",
        "Re-entry to care",
        "Children who come back into care after leaving it, a sign that safety at home was not "
        "sustained (Domain brief §2.2).",
    ),
    (
        "outcomes.children_families.kinship_care",
        "Kinship care",
        "Children looked after who live with relatives or friends. It is the one outcome where the "
        "DfE evaluation of the second Innovation Programme found a change (Domain brief §2.2, §4).",
    ),
    (
        "outcomes.children_families.family_experience",
        "Family experience",
        "What parents and carers say about the help: whether they understood the worries and how "
        "much the plan is their own (Domain brief §2.2, §3).",
    ),
    (
        "outcomes.children_families.child_experience",
        "Child experience",
        "What children say: whether someone explained the worries in a way they understood and "
        "whether they agree with what needs to happen (Domain brief §2.2, §1).",
    ),
    (
        "outcomes.practice",
        "Timeliness of statutory practice",
        "Whether statutory steps happen within their timescales: assessments and initial child "
        "protection conferences (Domain brief §2.2, §4).",
    ),
    (
        "outcomes.practice.assessment_timeliness",
        "Assessment timeliness",
        "Assessments completed within 45 working days of their start (Domain brief §4).",
    ),
    (
        "outcomes.practice.icpc_timeliness",
        "Initial child protection conference timeliness",
        "Initial child protection conferences held within 15 working days of the start of the "
        "section 47 enquiry (Domain brief §4).",
    ),
    (
        "outcomes.workforce",
        "Workforce outcomes",
        "Whether the workforce is stable and well: the climate and wellbeing survey, staff "
        "turnover, the agency rate and caseloads (Domain brief §2.2).",
    ),
    (
        "outcomes.workforce.climate",
        "Team climate",
        "How staff rate teamwork, safety climate, management and working conditions in the staff "
        "survey (Domain brief §2.2, §3).",
    ),
    (
        "outcomes.workforce.wellbeing",
        "Staff wellbeing",
        "How staff rate their job satisfaction and the stress they work under (Domain brief §2.2, §3).",
    ),
    (
        "outcomes.workforce.turnover",
        "Staff turnover",
        "Social workers who leave the authority during the year (Domain brief §2.2).",
    ),
    (
        "outcomes.workforce.agency",
        "Agency staff",
        "The share of social workers employed through agencies (Domain brief §2.2).",
    ),
    (
        "outcomes.workforce.caseload",
        "Caseloads",
        "The number of children each social worker works with (Domain brief §2.2).",
    ),
    (
        "practice_fidelity",
        "Practice fidelity (depth of practice)",
        "How deeply Signs of Safety practice runs in the work with each family: the principles and "
        "disciplines, the per-case tools and the processes (Domain brief §2.2).",
    ),
    (
        "practice_fidelity.principles",
        "Principles and disciplines",
        "Working relationships, a stance of critical inquiry, and the disciplines: plain language, "
        "specific behaviour rather than labels, harm, danger and complicating factors kept apart, "
        "and skilful use of authority (Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools",
        "Per-case tools",
        "The tools used on each case: the map, danger statements and goals, scaling, the child's "
        "voice tools, words and pictures, the safety network and the safety plan (Domain brief §2.2).",
    ),
    (
        "practice_fidelity.case_tools.map",
        "Assessment and planning map",
        "The three-column map (what are we worried about, what's working well, what needs to "
        "happen) with harm, complicating factors, existing safety and strengths kept apart "
        "(Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools.danger_statements",
        "Danger statements",
        "What will happen to the child if nothing changes, in the family's words where possible "
        "(Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools.safety_goals",
        "Safety goals",
        "The observable behaviour that will show the child is safe, and for how long, one goal for "
        "each danger statement (Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools.scaling",
        "Scaling",
        "Safety scales from 0 to 10, one for each danger statement and one overall, asked of each "
        "person involved (Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools.childs_voice",
        "Child's voice tools",
        "Direct work with the child, such as the Three Houses, the Fairy/Wizard or the Safety "
        "House, so that the child's views shape the plan (Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools.words_pictures",
        "Words and pictures",
        "A story in words and drawings, written with the parents, that explains the worries and the "
        "plan to the child (Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools.network",
        "Safety network",
        "The family's own network of relatives, friends and community, told the worries and the "
        "goals and helping to keep the child safe (Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.case_tools.safety_plan",
        "Safety plan",
        "The family's rules for keeping the child safe, watched over by the network, with the "
        "bottom lines of Children's Services made clear (Domain brief §2.2, §1).",
    ),
    (
        "practice_fidelity.processes",
        "Processes",
        "The meetings and plans through which families take part: participatory meetings and "
        "conferences, and plans the family owns (Domain brief §2.2).",
    ),
    (
        "practice_fidelity.processes.participatory_meetings",
        "Participatory meetings and conferences",
        "Meetings and conferences in which the family and the child take part and professional "
        "authority is used openly (Domain brief §2.2).",
    ),
    (
        "practice_fidelity.processes.family_owned_plans",
        "Family-owned plans",
        "Plans and next steps that the family recognise as their own: small, specific actions with "
        "a named owner (Domain brief §2.2).",
    ),
    (
        "implementation_fidelity",
        "Implementation fidelity (organisation)",
        "How far the organisation supports the practice: learning and development, leadership, "
        "alignment, meaningful measures and stakeholders (Domain brief §2.2, §2.3).",
    ),
    (
        "implementation_fidelity.learning",
        "Learning and development",
        "Training, practice leaders, group supervision, appreciative inquiry and collaborative case "
        "audit (Domain brief §2.2).",
    ),
    (
        "implementation_fidelity.leadership",
        "Leadership",
        "Leaders who are visible, engaged and connected to practice (Domain brief §2.2).",
    ),
    (
        "implementation_fidelity.alignment",
        "Alignment",
        "Policy, procedures, forms, team structure and case-recording systems aligned with the "
        "practice and kept streamlined (Domain brief §2.2).",
    ),
    (
        "implementation_fidelity.measures",
        "Meaningful measures",
        "Quality assurance, dashboards, surveys and action research that build the practice as well "
        "as report on it (Domain brief §2.2).",
    ),
    (
        "implementation_fidelity.stakeholders",
        "Stakeholders",
        "Engagement of partner agencies, Ofsted and elected members (Domain brief §2.2).",
    ),
]

RUBRIC_KEY = "sofs-case-practice"
RUBRIC_NAME = "Signs of Safety case practice"
RUBRIC_DESCRIPTION = (
    "The case-level rubric of the collaborative case audit: 14 elements of practice, each rated on "
    "four levels from Not evident to Embedded (Domain brief §2.5)."
)

# (value, label, description), from the level definitions of domain.md §2.5.
LEVELS = [
    (1, "Not evident", "Absent, or copied from another record (Domain brief §2.5)."),
    (2, "Emerging", "Present but vague, in jargon, or the professionals' view only (Domain brief §2.5)."),
    (3, "Established", "Specific, in plain language, with the family's input (Domain brief §2.5)."),
    (
        4,
        "Embedded",
        "Made with the family, drives decisions, and is revisited at each review (Domain brief §2.5).",
    ),
]

# (key, name, node key, {level: descriptor}). Level 3 restates the table of domain.md §2.5; levels
# 1, 2 and 4 follow the level definitions above.
ELEMENTS = [
    (
        "P1",
        "Harm statements",
        "practice_fidelity.case_tools.map",
        {
            1: "There is no harm statement, or it is copied from the referral without analysis.",
            2: "Harm is mentioned in general terms or labels (for example 'neglect'), with little "
            "about who did what or how it affected the child.",
            3: "Past harm is described as behaviour (who did what, and when), together with its "
            "impact on the child.",
            4: "The harm statement was written with the family, is used to shape the danger "
            "statements and decisions, and is revisited at each review.",
        },
    ),
    (
        "P2",
        "Danger statements",
        "practice_fidelity.case_tools.danger_statements",
        {
            1: "There is no danger statement, or it is copied from elsewhere.",
            2: "A worry is stated, but it is vague, in professional language, about the past rather "
            "than the future, or only the professionals' view.",
            3: "The statement says what will happen to the child if nothing changes, uses the "
            "family's words where possible, and records any disagreement.",
            4: "Danger statements were made with the family and network, each has a safety goal and "
            "a scale, they drive decisions and they are revisited at each review.",
        },
    ),
    (
        "P3",
        "Complicating factors",
        "practice_fidelity.case_tools.map",
        {
            1: "Complicating factors are not identified, or are copied from elsewhere.",
            2: "Complicating factors are listed, but mixed in with harm or danger, or described with labels.",
            3: "Complicating factors are kept separate from harm and danger.",
            4: "Complicating factors were identified with the family, are kept separate from harm "
            "and danger, the plan says how they will be handled, and they are reviewed each time.",
        },
    ),
    (
        "P4",
        "Existing safety versus strengths",
        "practice_fidelity.case_tools.map",
        {
            1: "Nothing is recorded about what is working well, or a list is copied from elsewhere.",
            2: "Strengths are listed, but in general terms or confused with safety (for example "
            "'mother loves her children').",
            3: "Existing safety, meaning protective actions taken over time when the danger was "
            "present, is recorded separately from strengths.",
            4: "Existing safety is specific, dated and confirmed with the family and network, the "
            "safety plan builds on it, and it is updated at each review.",
        },
    ),
    (
        "P5",
        "Safety goals",
        "practice_fidelity.case_tools.safety_goals",
        {
            1: "There are no safety goals, or they are copied or generic.",
            2: "Goals are stated as services to attend or things to comply with (for example "
            "'attend a parenting course'), or are vague.",
            3: "There is one safety goal for each danger statement, describing observable behaviour "
            "and how long it must be kept up.",
            4: "Goals were agreed with the family and network, steer the plan and the direction of "
            "the case, and progress towards them is reviewed each time.",
        },
    ),
    (
        "P6",
        "Scaling",
        "practice_fidelity.case_tools.scaling",
        {
            1: "There is no safety scale, or a number is given without any explanation.",
            2: "A scale is used, but only from the professional's view, or without anchors or reasons.",
            3: "Scales run from 0 to 10 with stated anchors, come from at least three perspectives "
            "including the child or a parent, give reasons, and show the trend over time.",
            4: "Scaling is a routine conversation with everyone involved; movement on the scales is "
            "tracked and drives decisions at each review.",
        },
    ),
    (
        "P7",
        "Child's voice",
        "practice_fidelity.case_tools.childs_voice",
        {
            1: "The child's views are missing, or reported second-hand without any direct work.",
            2: "There is some direct work, but it is generic, does not suit the child's age, or the "
            "child's views do not appear in the plan.",
            3: "A tool suited to the child's age (for example the Three Houses) was used, and the "
            "child's views are visible in the plan.",
            4: "The child's views shape decisions; the work with the child is repeated at reviews "
            "and the child is told how their views were used.",
        },
    ),
    (
        "P8",
        "Words and pictures",
        "practice_fidelity.case_tools.words_pictures",
        {
            1: "There is no words and pictures explanation, or a generic one.",
            2: "A draft exists, but it was written by professionals alone or has not been shared "
            "with the child.",
            3: "The words and pictures story was drafted with the parents and shared with the child "
            "and the network.",
            4: "The story is the family's own, is used with the child and network to explain the "
            "worries and the plan, and is updated as things change.",
        },
    ),
    (
        "P9",
        "Safety network",
        "practice_fidelity.case_tools.network",
        {
            1: "No safety network is identified, or only professionals are listed.",
            2: "Network members are named, but they have not been told the dangers and goals, or "
            "they are not active.",
            3: "A named natural network of family, friends and community has been told the dangers "
            "and goals and is active.",
            4: "The family found the network, it meets regularly and monitors the plan, and its role "
            "grows as professionals step back.",
        },
    ),
    (
        "P10",
        "Safety plan",
        "practice_fidelity.case_tools.safety_plan",
        {
            1: "There is no safety plan, or only a list of services and professional tasks.",
            2: "A plan exists, but it is led by professionals, generic, or has no rules the family "
            "would recognise.",
            3: "The plan sets out rules the family owns, how the network monitors them, and the "
            "bottom lines of Children's Services, stated clearly.",
            4: "The plan was made with the family, child and network, has been tested over time, "
            "drives decisions and is revisited at each review.",
        },
    ),
    (
        "P11",
        "Next steps",
        "practice_fidelity.processes.family_owned_plans",
        {
            1: "There are no next steps, or they are copied from elsewhere.",
            2: "Next steps are vague, have no date, or nobody is responsible for them.",
            3: "Next steps are specific and time-bound, and each names who will do it.",
            4: "Next steps are small, immediate and agreed with the family, owned by family and "
            "network members as well as professionals, and followed up at each review.",
        },
    ),
    (
        "P12",
        "Participation and authority",
        "practice_fidelity.processes.participatory_meetings",
        {
            1: "The family and child did not take part; decisions were made about them, not with them.",
            2: "The family attended but had little say, or authority was used without explanation.",
            3: "The family and child take part, and professional authority is used openly: the "
            "family knows the worries, the bottom lines and what happens next.",
            4: "The family and child shape the assessment and plan, disagreement is worked with "
            "openly, and authority and partnership go together throughout.",
        },
    ),
    (
        "P13",
        "Inquiry and oversight",
        "practice_fidelity.principles",
        {
            1: "There is no sign of management oversight or reflection; decisions are not explained.",
            2: "Oversight is recorded as sign-off or instructions only, without analysis.",
            3: "Group supervision or mapping is evident in the record, and decisions are analysed.",
            4: "Critical inquiry runs through the case: regular group supervision or mapping, "
            "decisions revisited as new information arrives, and learning fed back into practice.",
        },
    ),
    (
        "P14",
        "Impact",
        "outcomes.children_families.family_experience",
        {
            1: "There is no evidence of what has changed for the child.",
            2: "Change is described as services delivered or tasks completed, not as the child's "
            "safety or wellbeing.",
            3: "Movement on the scales or towards the goals is recorded, with what changed for the child.",
            4: "Lasting change for the child is shown from several perspectives (child, family, "
            "network), tracked over time, and used to decide the next direction of the case.",
        },
    ),
]


def _parent_key(key):
    return key.rpartition(".")[0] or None


def load(apps, schema_editor):
    ResultsNode = apps.get_model("fidelity", "ResultsNode")
    Rubric = apps.get_model("fidelity", "Rubric")
    RubricLevel = apps.get_model("fidelity", "RubricLevel")
    RubricElement = apps.get_model("fidelity", "RubricElement")

    nodes = {}
    sibling_counts = {}
    for key, name, description in NODES:
        parent_key = _parent_key(key)
        order = sibling_counts[parent_key] = sibling_counts.get(parent_key, 0) + 1
        nodes[key], _ = ResultsNode.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "description": description,
                "parent": nodes[parent_key] if parent_key else None,
                "order": order,
            },
        )

    rubric, _ = Rubric.objects.get_or_create(
        key=RUBRIC_KEY, defaults={"name": RUBRIC_NAME, "description": RUBRIC_DESCRIPTION}
    )
    for value, label, description in LEVELS:
        RubricLevel.objects.get_or_create(
            rubric=rubric, value=value, defaults={"label": label, "description": description}
        )
    for order, (key, name, node_key, descriptors) in enumerate(ELEMENTS, start=1):
        RubricElement.objects.get_or_create(
            rubric=rubric,
            key=key,
            defaults={
                "name": name,
                "node": ResultsNode.objects.get(key=node_key),
                "is_core": True,
                "order": order,
                "descriptors": {str(level): text for level, text in descriptors.items()},
            },
        )


def unload(apps, schema_editor):
    ResultsNode = apps.get_model("fidelity", "ResultsNode")
    Rubric = apps.get_model("fidelity", "Rubric")

    # Levels and elements go with the rubric (CASCADE).
    Rubric.objects.filter(key=RUBRIC_KEY).delete()
    # Children before parents: parents are PROTECTed.
    for key in sorted((key for key, _, _ in NODES), key=lambda k: k.count("."), reverse=True):
        ResultsNode.objects.filter(key=key).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fidelity", "0001_results_logic_and_rubrics"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
