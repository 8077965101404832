"""Case activity from the statutory returns: children, referrals and CIN episodes, assessments,
section 47 enquiries, child protection plans and looked-after episodes, imported from the DfE
Children in Need census XML, the SSDA903 CSVs and Ofsted Annex A workbooks (``cases/importers/``),
plus the Signs of Safety artefacts of each case (maps, danger statements, goals, scaling, networks)."""
