"""Every label the dashboard shows, in Danish (the default) and English.

Pages and figures never hold display text of their own: they ask :func:`translate` with a key, so
a missing translation is one failing test here instead of a half-English page.
"""

from __future__ import annotations

from typing import Final

from app.formatting import Language

DEFAULT_LANGUAGE: Final[Language] = "da"
LANGUAGES: Final[tuple[Language, ...]] = ("da", "en")

# key -> (Danish, English). Placeholders in braces are filled by ``translate(..., **values)``.
_LABELS: Final[dict[str, tuple[str, str]]] = {
    # The frame around every page.
    "app.tagline": ("Procesindsigt for Koncern IT", "Process insight for Koncern IT"),
    "app.language": ("Sprog", "Language"),
    "language.da": ("Dansk", "Dansk"),
    "language.en": ("English", "English"),
    "nav.logs": ("Hændelseslogs", "Event logs"),
    "nav.process_map": ("Procesoverblik", "Process map"),
    # The logs page.
    "logs.withheld": ("under 5 personer", "under 5 people"),
    "logs.title": ("Hændelseslogs", "Event logs"),
    "logs.intro": (
        "De hændelseslogs, der er gemt i KIT Flow, med deres nøgletal. "
        "Tider vises i dansk tid (Europe/Copenhagen).",
        "The event logs stored in KIT Flow, with their key figures. "
        "Times are shown in Danish time (Europe/Copenhagen).",
    ),
    "logs.count": ("{count} gemte logs", "{count} stored logs"),
    "logs.count_one": ("{count} gemt log", "{count} stored log"),
    "logs.col.name": ("Navn", "Name"),
    "logs.col.source": ("Kildefil", "Source file"),
    "logs.col.kind": ("Type", "Kind"),
    "logs.col.cases": ("Sager", "Cases"),
    "logs.col.events": ("Hændelser", "Events"),
    "logs.col.activities": ("Aktiviteter", "Activities"),
    "logs.col.variants": ("Varianter", "Variants"),
    "logs.col.quarantined": ("I karantæne", "Quarantined"),
    "logs.col.first_event": ("Første hændelse", "First event"),
    "logs.col.last_event": ("Sidste hændelse", "Last event"),
    "logs.col.imported_at": ("Importeret", "Imported"),
    "kind.flat": ("Flad", "Flat"),
    "kind.object-centric": ("Objektcentreret", "Object-centric"),
    # What to do when nothing is stored yet.
    "empty.title": ("Der er ingen hændelseslogs endnu", "There are no event logs yet"),
    "empty.body": (
        "Importér en hændelseslog (CSV, XES, OCEL 2.0 eller Parquet) fra kommandolinjen, "
        "og genindlæs derefter siden:",
        "Import an event log (CSV, XES, OCEL 2.0 or Parquet) from the command line, "
        "then reload this page:",
    ),
    "empty.command": (
        "kitflow import sti/til/log.xes --name mit-log",
        "kitflow import path/to/log.xes --name my-log",
    ),
    # The process-map page.
    "map.title": ("Procesoverblik", "Process map"),
    "map.intro": (
        "Direkte-følger-grafen for en hændelseslog: hvilke aktiviteter der følger direkte efter "
        "hinanden i samme sag, hvor ofte, og hvor lang tid der i gennemsnit går imellem.",
        "The directly-follows graph of an event log: which activities directly follow each "
        "other within a case, how often, and how much time passes between them on average.",
    ),
    "map.log": ("Hændelseslog", "Event log"),
    "map.log_placeholder": ("Vælg en hændelseslog", "Choose an event log"),
    "map.top_arcs": ("Vis de hyppigste overgange", "Show the most frequent arcs"),
    "map.choose": (
        "Vælg en hændelseslog ovenfor for at tegne procesoverblikket.",
        "Choose an event log above to draw its process map.",
    ),
    "map.summary": (
        "Viser {shown_activities} af {activities} aktiviteter og {shown} af {total} overgange",
        "Showing {shown_activities} of {activities} activities and {shown} of {total} arcs",
    ),
    "map.arcs": ("Overgange", "Arcs"),
    "map.col.source": ("Fra", "From"),
    "map.col.target": ("Til", "To"),
    "map.col.frequency": ("Antal", "Frequency"),
    "map.col.mean": ("Gns. tid", "Mean time"),
    "map.col.median": ("Median", "Median"),
    "map.legend": (
        "Tal i boksene: antal hændelser. Pile: antal overgange · gennemsnitlig tid imellem. "
        "Tykkere pil = hyppigere overgang.",
        "Numbers in the boxes: events. Arrows: number of transitions · mean time between. "
        "Thicker arrow = more frequent.",
    ),
    "map.object_centric": (
        "Objektcentrerede logs ({names}) kan ikke tegnes direkte. Importér dem flade på én "
        "objekttype: kitflow import FIL --name NAVN --object-type TYPE",
        "Object-centric logs ({names}) cannot be drawn directly. Import them flattened on one "
        "object type: kitflow import FILE --name NAME --object-type TYPE",
    ),
    "map.only_object_centric": (
        "Der er kun objektcentrerede logs. Et procesoverblik kræver en flad log.",
        "There are only object-centric logs. A process map needs a flat log.",
    ),
    "map.not_flat": (
        "Loggen {name} er objektcentreret og skal gøres flad ved import med --object-type.",
        "The log {name} is object-centric and must be flattened on import with --object-type.",
    ),
    "map.empty_log": ("Loggen {name} har ingen overgange.", "The log {name} has no arcs."),
    "partitioned.note": (
        "Loggen {name} er gemt i partitioner (en stor log). Siden viser hele loggens tal, "
        "beregnet én partition ad gangen; filtrene og opslag af enkelte sager er slået fra, "
        "da de ville kræve hele loggen i hukommelsen. Et udsnit (periode og enheder) "
        "analyseres på siden Procesanalyse eller på kommandolinjen: kitflow variants {name} "
        "--since 2025-01-01 --until 2025-03-31 --org-unit <enhed> (også kitflow bottlenecks og "
        "stats), eller med --engine spark (se docs/spark.md).",
        "The log {name} is stored in partitions (a large log). The page shows the whole log's "
        "figures, computed one partition at a time; the filters and looking up single cases "
        "are turned off, as they would need the whole log in memory. Analyse a filtered view "
        "(period and units) on the Process analysis page or on the command line: kitflow "
        "variants {name} --since 2025-01-01 --until 2025-03-31 --org-unit <unit> (also kitflow "
        "bottlenecks and stats), or with --engine spark (see docs/spark.md).",
    ),
    "partitioned.analysis_note": (
        "Loggen {name} er gemt i partitioner (en stor log): tallene beregnes én partition ad "
        "gangen og lægges sammen, også for den valgte periode og de valgte enheder.",
        "The log {name} is stored in partitions (a large log): the figures are computed one "
        "partition at a time and added up, for the chosen period and units too.",
    ),
    "partitioned.no_cases": (
        "Loggen er gemt i partitioner, så enkelte sager slås ikke op her.",
        "The log is stored in partitions, so single cases are not looked up here.",
    ),
    "map.withheld": (
        "Loggen {name} viser under 5 personer, så dens procesoverblik vises ikke "
        "(5-personers-reglen).",
        "The log {name} shows fewer than 5 people, so its map is not shown (the 5-person rule).",
    ),
    "map.error": (
        "Procesoverblikket kunne ikke tegnes: {error}",
        "Could not draw the map: {error}",
    ),
    "map.mode": ("Visning", "View"),
    "map.mode.frequency": ("Hyppighed", "Frequency"),
    "map.mode.performance": ("Tid mellem aktiviteter", "Time between activities"),
    "map.statistic": ("Tidsmål", "Time measure"),
    "map.statistic.median": ("Median", "Median"),
    "map.statistic.mean": ("Gennemsnit", "Mean"),
    "map.top_activities": ("Vis de hyppigste aktiviteter", "Show the most frequent activities"),
    "map.legend_frequency": (
        "Tal i boksene: antal hændelser. Tal på pilene: antal overgange. Tykkere pil = "
        "hyppigere overgang. En pil fra en aktivitet til den selv er en gentagelse.",
        "Numbers in the boxes: events. Numbers on the arrows: transitions. Thicker arrow = more "
        "frequent. An arrow from an activity to itself is a repeat.",
    ),
    "map.legend_performance": (
        "Tal på pilene: {statistic} tid mellem aktiviteterne. Farven viser tiden:",
        "Numbers on the arrows: {statistic} time between the activities. The colour shows it:",
    ),
    "map.legend_under": ("under {high}", "under {high}"),
    "map.legend_range": ("{low}–{high}", "{low}–{high}"),
    "map.filters": ("Filtre", "Filters"),
    "map.period": ("Periode (sager aktive i perioden)", "Period (cases active in it)"),
    "map.period_start": ("Fra dato", "Start date"),
    "map.period_end": ("Til dato", "End date"),
    "map.attribute": ("Sagsattribut", "Case attribute"),
    "map.attribute_placeholder": ("Vælg en attribut", "Choose an attribute"),
    "map.values": ("Værdier", "Values"),
    "map.values_placeholder": ("Vælg værdier", "Choose values"),
    "map.variants": ("Kun de hyppigste varianter (antal)", "Only the most frequent variants"),
    "map.chosen_variants": ("Kun de valgte varianter", "Only the chosen variants"),
    "map.variant_option": ("{rank}. {path} ({cases} sager)", "{rank}. {path} ({cases} cases)"),
    "map.bad_attribute": (
        "loggen har ingen sagsattribut {name!r}",
        "the log has no case attribute {name!r}",
    ),
    "map.bad_variant": (
        "loggen har ingen variant nr. {rank}",
        "the log has no variant number {rank}",
    ),
    "map.org_units": ("Organisatoriske enheder", "Org units"),
    "map.org_units_placeholder": ("Alle enheder", "All units"),
    "map.duration": ("Sagens varighed i dage (fra–til)", "Case duration in days (from–to)"),
    "map.with_activity": ("Kun sager med aktiviteten", "Only cases with the activity"),
    "map.without_activity": ("Kun sager uden aktiviteten", "Only cases without the activity"),
    "map.activity_placeholder": ("Vælg en aktivitet", "Choose an activity"),
    "map.exclude_activities": ("Udelad aktiviteter", "Leave out activities"),
    "map.exclude_arcs": ("Udelad sager med overgangen", "Leave out cases with the arc"),
    "map.none_placeholder": ("Ingen", "None"),
    "map.all_placeholder": ("Alle", "All"),
    "map.bad_input": ("Filtret kan ikke bruges: {error}", "The filter cannot be used: {error}"),
    "map.bad_date": (
        "datoen {value!r} kan ikke læses; skriv den som dd.mm.åååå",
        "the date {value!r} cannot be read; write it as yyyy-mm-dd",
    ),
    "map.bad_period": (
        "periodens slutdato ligger før dens startdato",
        "the period ends before it starts",
    ),
    "map.bad_number": (
        "{value!r} er ikke et tal på 0 eller derover",
        "{value!r} is not a number of 0 or more",
    ),
    "map.filtered": (
        "Filtrene beholder {cases} af {total} sager.",
        "The filters keep {cases} of {total} cases.",
    ),
    "map.filtered_withheld": (
        "Udsnittet viser under 5 personer, så dets procesoverblik vises ikke "
        "(5-personers-reglen). Gør filtrene bredere.",
        "The filtered view shows fewer than 5 people, so its map is not shown (the 5-person "
        "rule). Widen the filters.",
    ),
    "map.filtered_empty": ("Ingen sager passer til filtrene.", "No case matches the filters."),
    "map.cases_hint": (
        "Klik på en aktivitet eller en pil i kortet for at se sagerne gennem den.",
        "Click an activity or an arrow on the map to list the cases through it.",
    ),
    "map.cases_title": ("Sager gennem {what}", "Cases through {what}"),
    "map.cases_capped": (
        "Viser de {shown} første af {total} sager (efter start).",
        "Showing the first {shown} of {total} cases (by start).",
    ),
    "map.cases_count": ("{total} sager.", "{total} cases."),
    "map.col.case": ("Sag", "Case"),
    "map.col.start": ("Start", "Start"),
    "map.col.end": ("Slut", "End"),
    "map.col.duration": ("Varighed", "Duration"),
    "map.col.events": ("Hændelser", "Events"),
    "map.col.activity": ("Aktivitet", "Activity"),
    "map.col.since": ("Tid siden forrige", "Since the previous"),
    "map.col.time": ("Tidspunkt", "Time"),
    "map.col.org_unit": ("Enhed", "Org unit"),
    "map.case": ("Vis en sags forløb", "Show a case's timeline"),
    "map.case_placeholder": ("Vælg en sag", "Choose a case"),
    "map.timeline_title": ("Forløbet af sag {case}", "Timeline of case {case}"),
    "map.dropdown.select_all": ("Vælg alle", "Select all"),
    "map.dropdown.deselect_all": ("Fravælg alle", "Deselect all"),
    "map.dropdown.selected_count": ("{num_selected} valgt", "{num_selected} selected"),
    "map.dropdown.search": ("Søg", "Search"),
    "map.dropdown.clear_search": ("Ryd søgning", "Clear search"),
    "map.dropdown.clear_selection": ("Ryd valg", "Clear selection"),
    "map.dropdown.no_options_found": ("Ingen valgmuligheder", "No options found"),
    # The process-analysis page (variants, bottlenecks, handovers between org units).
    "nav.analysis": ("Procesanalyse", "Process analysis"),
    "nav.candidates": ("Automatiseringskandidater", "Automation candidates"),
    # The candidates page (issue #15).
    "cand.title": ("Automatiseringskandidater", "Automation candidates"),
    "cand.intro": (
        "Processerne rangeret efter effekt og kritikalitet: nettobesparelse om året gange den "
        "kritikalitet, en analytiker har sat. Hver proces er én række med sine kilder samlet; "
        "hver kilde måles i sin egen periode.",
        "The processes ranked by effect and criticality: the net saving a year times the "
        "criticality an analyst set. Each process is one row with its sources merged; each "
        "source is measured over its own period.",
    ),
    "cand.logs": ("Logs (tom: alle)", "Logs (empty: all)"),
    "cand.logs_placeholder": ("Alle logs", "All logs"),
    "cand.period": ("Periode (tom: dataenes egen)", "Period (empty: the data\x27s own)"),
    "cand.bad_period": (
        "Perioden kan ikke bruges: {error}",
        "The period cannot be used: {error}",
    ),
    "cand.error": (
        "Kandidaterne kan ikke beregnes: {error}",
        "The candidates cannot be ranked: {error}",
    ),
    "cand.periods": (
        "Hver kilde i sin egen periode: {periods}",
        "Each source over its own period: {periods}",
    ),
    "cand.candidates": ("Kandidater", "Candidates"),
    "cand.automated": ("Allerede automatiseret", "Already automated"),
    "cand.col.rank": ("Nr.", "Rank"),
    "cand.col.process": ("Proces", "Process"),
    "cand.col.sources": ("Kilder", "Sources"),
    "cand.col.cases": ("Sager/år", "Cases/yr"),
    "cand.col.hours": ("Timer/år", "Hours/yr"),
    "cand.col.standard": ("Gentagelse", "Repetition"),
    "cand.col.entropy": ("Spredning", "Spread"),
    "cand.col.suitability": ("Egnethed", "Suitability"),
    "cand.explanation": ("Forklaring", "Explanation"),
    "cand.col.criticality": ("Kritikalitet", "Criticality"),
    "cand.col.aav": ("ÅV", "FTE"),
    "cand.col.net": ("Netto t.kr./år", "Net t.kr./yr"),
    "cand.col.priority": ("Prioritet", "Priority"),
    "cand.col.payback": ("Tilbagebetaling, år", "Payback, years"),
    "cand.col.suggested": ("Foreslået form", "Suggested form"),
    "cand.explain.suggested.unattended": (
        "Forslag: RPA (uden bruger), da {exceptions} af sagerne forlader det sædvanlige forløb og "
        "{standard} følger de hyppigste varianter.",
        "Suggested: RPA (unattended), as {exceptions} of the cases leave the usual path and "
        "{standard} follow the top variants.",
    ),
    "cand.explain.suggested.attended": (
        "Forslag: RDA (en assistent for medarbejderen, der vurderer sagen), da {exceptions} af "
        "sagerne forlader det sædvanlige forløb og {standard} følger de hyppigste varianter (RPA "
        "kræver højst 20 % og mindst 60 %).",
        "Suggested: RDA (an assistant for the person who judges the case), as {exceptions} of "
        "the cases leave the usual path and {standard} follow the top variants (RPA needs at "
        "most 20 % and at least 60 %).",
    ),
    "cand.col.robot": ("Robot", "Robot"),
    "cand.col.run_mode": ("Kørselsform", "Run mode"),
    "cand.col.realised": ("Andel af sagerne", "Share of cases"),
    "cand.run_mode.unattended": ("RPA (uden bruger)", "RPA (unattended)"),
    "cand.run_mode.attended": ("RDA (med bruger)", "RDA (attended)"),
    "cand.run_mode.mixed": ("begge", "both"),
    "cand.run_mode.none": ("ukendt", "unknown"),
    "cand.basis.registered": ("registrerede", "registered"),
    "cand.basis.mined": ("målte (øvre grænse)", "mined (an upper bound)"),
    "cand.basis.none": ("registrerede (ingen koblet)", "registered (none linked)"),
    "cand.factor.volume": ("volumen", "volume"),
    "cand.factor.shape": ("varianter", "variants"),
    "cand.factor.hours": ("timer", "hours"),
    "cand.factor.automated": ("robot", "robot"),
    "cand.explain": (
        "{cases} sager og {hours} {basis} timer om året; {standard} af sagerne i de 3 hyppigste "
        "varianter, variantspredning {entropy}, {rework} med omarbejde, {exceptions} afsluttet "
        "manuelt. Egnethed {suitability} giver {auto} automatiserbare timer = {aav} ÅV = "
        "{savings} t.kr. om året, netto {net} t.kr. efter {operating} t.kr. i drift.",
        "{cases} cases and {hours} {basis} hours a year; {standard} of cases in the top 3 "
        "variants, variant spread {entropy}, {rework} with rework, {exceptions} finished by "
        "hand. Suitability {suitability} gives {auto} automatable hours = {aav} FTE = {savings} "
        "t.kr. a year, net {net} t.kr. after {operating} t.kr. operating cost.",
    ),
    "cand.explain.criticality": (
        "Kritikalitet {weight} (sat af en analytiker): prioritet = netto × kritikalitet = "
        "{priority} t.kr.",
        "Criticality {weight} (set by an analyst): priority = net × criticality = {priority} t.kr.",
    ),
    "cand.explain.no_criticality": (
        "Kritikalitet 1 (ikke sat): rangeret efter nettobesparelsen.",
        "Criticality 1 (not set): ranked by the net saving.",
    ),
    "cand.explain.loss": (
        "Kritikalitet {weight} vægter ikke et nettotab: rangeret efter nettoen.",
        "Criticality {weight} does not weigh a net loss: ranked by the net.",
    ),
    "cand.explain.sources": ("Kilder: {sources}.", "Sources: {sources}."),
    "cand.explain.automated": (
        "Allerede automatiseret: {robot} i drift siden {go_live}, {transactions} transaktioner, "
        "{share} af sagerne siden; kørselsform {mode}.",
        "Already automated: {robot} live since {go_live}, {transactions} transactions, "
        "{share} of the cases since; run mode {mode}.",
    ),
    "cand.unknown": ("ukendt", "unknown"),
    "cand.criticality_title": ("Kritikalitet", "Criticality"),
    "cand.criticality_intro": (
        "Sæt en vægt pr. proces (over 0, højst 10; 1 fjerner den). Den gemmes i datamappen og "
        "bruges af rangeringen og kommandolinjen.",
        "Set a weight per process (above 0, at most 10; 1 removes it). It is kept in the data "
        "folder and used by the ranking and the command line.",
    ),
    "cand.process": ("Proces", "Process"),
    "cand.weight": ("Vægt", "Weight"),
    "cand.save": ("Gem kritikalitet", "Save criticality"),
    "cand.saved": (
        "Kritikaliteten af {name} er sat til {weight}.",
        "The criticality of {name} is set to {weight}.",
    ),
    "cand.bad_weight": (
        "Vælg en proces og en vægt over 0 og højst 10.",
        "Choose a process and a weight above 0 and at most 10.",
    ),
    "cand.case_title": ("Lav business case", "Make a business case"),
    "cand.case_intro": (
        "Et udkast til business casen og dens opfølgningsfil for den valgte kandidat; Tabel 1 "
        "vises her, før du henter filerne.",
        "A draft business case and its follow-up file for the chosen candidate; Tabel 1 is shown "
        "here before you download the files.",
    ),
    "cand.make": ("Lav business case", "Make business case"),
    "cand.choose": ("Vælg en kandidat.", "Choose a candidate."),
    "cand.tabel1": ("Tabel 1 for {title} (1.000 kr.)", "Tabel 1 of {title} (1,000 kr.)"),
    "cand.download_case": ("Hent business case (YAML)", "Download business case (YAML)"),
    "cand.download_bindings": ("Hent opfølgningsfil (YAML)", "Download follow-up file (YAML)"),
    "nav.governance": ("Governance", "Governance"),
    "nav.stuck": ("Fastlåste sager", "Stuck cases"),
    "governance.title": (
        "Governance: SAFe-regler pr. serviceområde",
        "Governance: SAFe rules per service area",
    ),
    "governance.intro": (
        "Andelen af arbejdsemner (Features og User Stories), der bryder mindst én af de aftalte "
        "regler, pr. serviceområde og måned (oprettelsesmåned), mod tærsklen. Vælg et område for "
        "at se de emner, der bryder reglerne. Ingen personer vises.",
        "The share of work items (Features and User Stories) breaking at least one of the agreed "
        "rules, per service area and month (month created), against the threshold. Choose an "
        "area to see the items that break the rules. No person is shown.",
    ),
    "governance.threshold": ("Tærskel (% brud)", "Threshold (% breaking)"),
    "governance.area": ("Serviceområde (emner)", "Service area (items)"),
    "governance.area_placeholder": ("Alle områder", "All areas"),
    "governance.rule": ("Regel", "Rule"),
    "governance.rule_placeholder": ("Alle regler", "All rules"),
    "governance.choose": (
        "Vælg en log med regler at tjekke.",
        "Choose a log to check the rules on.",
    ),
    "governance.bad_threshold": (
        "Tærsklen skal være et tal mellem 0 og 100 (fx 10).",
        "The threshold must be a number from 0 to 100 (e.g. 10).",
    ),
    "governance.error": (
        "Reglerne kunne ikke tjekkes: {error}",
        "The rules could not be checked: {error}",
    ),
    "governance.no_rules": (
        "Ingen af reglerne i {file} gælder for nogen sag i {name}.",
        "None of the rules in {file} applies to any case of {name}.",
    ),
    "governance.summary": (
        "{items} emner i {areas} områder; {over} over tærsklen på {threshold} %. "
        "Regler fra {file}.",
        "{items} items in {areas} areas; {over} above the threshold of {threshold} %. "
        "Rules from {file}.",
    ),
    "governance.small_rows": (
        "{count} måneder i et område vises ikke, fordi emnerne nævner færre end 5 personer "
        "(5-personers-reglen).",
        "{count} months of an area are not shown, as their items name fewer than 5 people "
        "(the 5-person rule).",
    ),
    "governance.trend_title": (
        "Andel emner med brud pr. måned",
        "Share of items breaking a rule per month",
    ),
    "governance.trend_y": ("Andel med brud (%)", "Breaking (%)"),
    "governance.threshold_line": ("Tærskel {value} %", "Threshold {value} %"),
    "governance.areas_title": (
        "Pr. serviceområde, hele perioden",
        "Per service area, the whole period",
    ),
    "governance.items_title": ("Emner, der bryder reglerne", "Items breaking the rules"),
    "governance.items_shown": (
        "Viser de første {shown} af {total} brud; eksporten har dem alle.",
        "Showing the first {shown} of {total} breaches; the export holds them all.",
    ),
    "governance.items_none": ("Ingen brud i det valgte.", "No breaches in the selection."),
    "governance.over": ("over tærskel", "above threshold"),
    "governance.under": ("under tærskel", "within threshold"),
    "governance.col.area": ("Serviceområde", "Service area"),
    "governance.col.items": ("Emner", "Items"),
    "governance.col.breaking": ("Med brud", "Breaking"),
    "governance.col.pct": ("Andel (%)", "Share (%)"),
    "governance.col.status": ("Status", "Status"),
    "governance.col.id": ("Id", "Id"),
    "governance.col.type": ("Type", "Type"),
    "governance.col.rule": ("Regel", "Rule"),
    "governance.col.iteration": ("Iteration", "Iteration"),
    "governance.col.month": ("Måned", "Month"),
    "governance.file_stem": ("governance-brud", "governance-breaches"),
    "governance.conf_title": ("Konformitet mod en procesmodel", "Conformance to a process model"),
    "governance.conf_intro": (
        "Hvor godt følger sagerne i en log en procesmodel (BPMN eller PNML)? Uden en modelfil "
        "bruges en model opdaget fra loggen selv (induktiv miner, støjtærskel 20 %). Token "
        "replay giver fitness pr. variant; afvigelserne er de aktiviteter, sagerne sprang over "
        "eller indsatte (optimale alignments).",
        "How well do the cases of a log follow a process model (BPMN or PNML)? Without a model "
        "file, a model discovered from the log itself is used (inductive miner, noise threshold "
        "20 %). Token replay gives the fitness per variant; the deviations are the activities "
        "the cases skipped or inserted (optimal alignments).",
    ),
    "governance.conf_upload": (
        "Træk en BPMN- eller PNML-fil hertil, eller klik for at vælge en",
        "Drop a BPMN or PNML file here, or click to choose one",
    ),
    "governance.conf_discovered": (
        "Model: opdaget fra {log} (induktiv miner, støjtærskel 20 %).",
        "Model: discovered from {log} (inductive miner, noise threshold 20 %).",
    ),
    "governance.conf_model_file": ("Model: {file}.", "Model: {file}."),
    "governance.conf_run": ("Tjek konformitet", "Check conformance"),
    "governance.conf_hint": (
        "Vælg en log (og evt. en modelfil), og tryk «Tjek konformitet».",
        "Choose a log (and a model file, if you have one) and press «Check conformance».",
    ),
    "governance.conf_summary": (
        "Fitness (token replay) {fitness}; {fitting} % af {cases} sager passer helt til "
        "modellen; varianter: {variants}.",
        "Fitness (token replay) {fitness}; {fitting} % of {cases} cases fit the model "
        "completely; variants: {variants}.",
    ),
    "governance.conf_withheld": (
        "Loggen {name} viser færre end 5 personer, så dens konformitet vises ikke "
        "(5-personers-reglen).",
        "The log {name} shows fewer than 5 people, so its conformance is not shown "
        "(the 5-person rule).",
    ),
    "governance.conf_error": (
        "Konformiteten kunne ikke beregnes: {error}",
        "The conformance could not be computed: {error}",
    ),
    "governance.conf_choose": (
        "Vælg en log for at tjekke den mod en model.",
        "Choose a log to check it against a model.",
    ),
    "governance.conf_variants": (
        "Fitness pr. variant (de 10 hyppigste)",
        "Fitness per variant (the 10 most frequent)",
    ),
    "governance.conf_deviations": ("Afvigelser", "Deviations"),
    "governance.conf_no_deviations": (
        "Ingen afvigelser: hver sag følger modellen.",
        "No deviations: every case follows the model.",
    ),
    "governance.conf_net": ("Modellen (Petri-net)", "The model (Petri net)"),
    "governance.conf_other_variants": ("Øvrige varianter ({count})", "Other variants ({count})"),
    "governance.col.variant": ("Variant", "Variant"),
    "governance.col.activities": ("Aktiviteter", "Activities"),
    "governance.col.cases": ("Sager", "Cases"),
    "governance.col.fitness": ("Fitness", "Fitness"),
    "governance.col.activity": ("Aktivitet", "Activity"),
    "governance.col.kind": ("Afvigelse", "Deviation"),
    "governance.col.occurrences": ("Forekomster", "Occurrences"),
    "governance.kind.skipped": ("sprunget over", "skipped"),
    "governance.kind.inserted": ("indsat", "inserted"),
    "governance.rule.feature-has-epic": ("Feature har en Epic", "Feature has an Epic"),
    "governance.rule.story-has-parent": ("User Story har en forælder", "User Story has a parent"),
    "governance.rule.new-closed-via-active": (
        "Lukket via Aktiv",
        "Closed via Active",
    ),
    "governance.rule.no-work-at-project-root": (
        "Ikke i projektets rod-iteration",
        "Not in the project root iteration",
    ),
    "governance.rule.four-eyes-approval": ("Fire øjne ved godkendelse", "Four eyes on approval"),
    "governance.rule.resolved-then-closed": (
        "Løst lukkes inden 5 dage",
        "Resolved closed within 5 days",
    ),
    "export.csv": ("Hent CSV", "Download CSV"),
    "export.xlsx": ("Hent Excel", "Download Excel"),
    "nav.assistant": ("Udfyldningsassistent", "Fill-in assistant"),
    "assistant.title": ("Udfyldningsassistent", "Fill-in assistant"),
    "assistant.intro": (
        "Foreslår en ny ServiceNow-sags tildelingsgruppe, kategori og prioritet ud fra det, der "
        "kendes, når sagen oprettes, hver med en kalibreret sikkerhed; under tærsklen afstår "
        "assistenten. Ingen person indgår. Nedenfor de gemte modeller med deres modelkort, målt "
        "mod to simple regler på den seneste femtedel af perioden.",
        "Suggests a new ServiceNow case's assignment group, category and priority from what is "
        "known when it is filed, each with a calibrated confidence; below the threshold the "
        "assistant abstains. No person is a feature. Below, the stored models with their model "
        "cards, scored against two simple rules on the latest fifth of the period.",
    ),
    "assistant.empty_title": ("Ingen model er trænet endnu", "No model is trained yet"),
    "assistant.empty_body": (
        "Træn en model på ServiceNow-eksporten med denne kommando (ca. et minut); "
        "genindlæs derefter siden.",
        "Train a model on the ServiceNow export with this command (about a minute); "
        "then reload the page.",
    ),
    "assistant.try_title": ("Prøv et forslag", "Try a suggestion"),
    "assistant.try": ("Foreslå", "Suggest"),
    "assistant.try_body": (
        "Udfyld det, der kendes, når sagen oprettes; et tomt felt regnes som ukendt.",
        "Fill in what is known when the case is filed; an empty field counts as unknown.",
    ),
    "assistant.choose": ("vælg eller skriv", "choose or type"),
    "assistant.target.group": ("Tildelingsgruppe", "Assignment group"),
    "assistant.target.category": ("Kategori", "Category"),
    "assistant.target.priority": ("Prioritet", "Priority"),
    "assistant.field.type": ("Sagstype", "Case type"),
    "assistant.field.product": ("Produkt", "Product"),
    "assistant.field.organization country": ("Organisationens land", "Organisation country"),
    "assistant.field.organization involved": ("Involveret organisation", "Organisation involved"),
    "assistant.field.org:role": ("Rolle (første hændelse)", "Role (first event)"),
    "assistant.field.opened_hour": ("Oprettelsestime", "Opening hour"),
    "assistant.field.opened_weekday": ("Ugedag", "Weekday"),
    "assistant.field.category_subcategory": ("Kategori × underkategori", "Category × subcategory"),
    "assistant.field.category_subcategory_symptom": (
        "Kategori × underkategori × symptom",
        "Category × subcategory × symptom",
    ),
    "assistant.field.location_category": ("Lokation × kategori", "Location × category"),
    "assistant.field.type_category": ("Sagstype × kategori", "Case type × category"),
    "assistant.field.product_impact": ("Produkt × påvirkning", "Product × impact"),
    "assistant.card.limits": (
        "Trænet på én kildes periode: nye værdier og omorganiseringer kræver ny træning, og "
        "værdier, der ikke fandtes i træningen, foreslås aldrig. Sikkerheden er kalibreret på "
        "tidsvinduer inden for træningsperioden. Ingen person indgår.",
        "Trained on one source's period: new values and reorganisations need retraining, and "
        "values unseen in training are never suggested. The confidence is calibrated on time "
        "windows inside the training period. No person is a feature.",
    ),
    "assistant.field.resource country": (
        "Behandlerens land (første hændelse)",
        "Handler's country (first event)",
    ),
    "assistant.field.category": ("Kategori", "Category"),
    "assistant.field.subcategory": ("Underkategori", "Subcategory"),
    "assistant.field.u_symptom": ("Symptom", "Symptom"),
    "assistant.field.contact_type": ("Kontaktform", "Contact type"),
    "assistant.field.location": ("Lokation", "Location"),
    "assistant.field.impact": ("Påvirkning", "Impact"),
    "assistant.field.urgency": ("Hastende", "Urgency"),
    "assistant.field.opened_at": ("Oprettet (dd.mm.åååå tt:mm)", "Opened (yyyy-mm-ddThh:mm)"),
    "assistant.opened_placeholder": ("nu", "now"),
    "assistant.need_field": ("Udfyld mindst ét felt.", "Fill in at least one field."),
    "assistant.bad_opened": (
        "Oprettelsestidspunktet '{value}' kan ikke læses: skriv fx 01.03.2016 09:30.",
        "The filing time '{value}' cannot be read: write e.g. 2016-03-01T09:30.",
    ),
    "assistant.error": ("Intet forslag: {error}", "No suggestion: {error}"),
    "assistant.suggests": (
        "{what}: {value} (sikkerhed {confidence}; tærskel {threshold}).",
        "{what}: {value} (confidence {confidence}; threshold {threshold}).",
    ),
    "assistant.abstains": (
        "{what}: assistenten afstår, sikkerheden {confidence} er under tærsklen {threshold}.",
        "{what}: the assistant abstains, the confidence {confidence} is below the threshold "
        "{threshold}.",
    ),
    "assistant.top3": (
        "De tre mest sandsynlige ({what}) med modellens sandsynlighed:",
        "The three likeliest ({what}) with the model's probability:",
    ),
    "assistant.card.target": ("Foreslår", "Suggests"),
    "assistant.card.threshold_set": (
        "{threshold} (sat af en administrator {when}; trænet: {trained})",
        "{threshold} (set by an administrator {when}; trained: {trained})",
    ),
    "assistant.card.table_note": (
        "Målt på testperioden. Dækning: andelen af sagerne, hvor der foreslås ved tærsklen; "
        "præcision: andelen af dem, hvor forslaget var det endelige.",
        "Measured on the test period. Coverage: the share of cases with a suggestion at the "
        "threshold; precision: the share of those where the suggestion was the final value.",
    ),
    "assistant.card.source": ("Data", "Data"),
    "assistant.card.rows": ("Rækker læst", "Rows read"),
    "assistant.card.incidents": ("Sager", "Incidents"),
    "assistant.card.incidents_value": (
        "{total} ({train} til træning, {test} til test)",
        "{total} ({train} for training, {test} for testing)",
    ),
    "assistant.card.train_period": ("Træningsperiode", "Training period"),
    "assistant.card.test_period": ("Testperiode", "Test period"),
    "assistant.card.features": ("Felter", "Features"),
    "assistant.card.threshold": ("Tærskel", "Threshold"),
    "assistant.card.trained_at": ("Trænet", "Trained"),
    "assistant.card.all_rows": ("alle", "all"),
    "assistant.card.seed": ("Seed", "Seed"),
    "assistant.col.who": ("Metode", "Method"),
    "assistant.col.top1": ("Top-1", "Top-1"),
    "assistant.col.top3": ("Top-3", "Top-3"),
    "assistant.col.macro_f1": ("Makro-F1", "Macro F1"),
    "assistant.col.coverage": ("Dækning", "Coverage"),
    "assistant.col.precision": ("Præcision ved dækning", "Precision at coverage"),
    "assistant.col.threshold": ("Tærskel", "Threshold"),
    "assistant.col.brier": ("Brier", "Brier"),
    "assistant.who.model": ("Assistenten", "The assistant"),
    "assistant.who.most_frequent": ("Hyppigste værdi", "Most frequent value"),
    "assistant.who.most_frequent_by": ("Hyppigste værdi pr. {by}", "Most frequent value per {by}"),
    "stuck.title": ("Fastlåste sager", "Stuck cases"),
    "stuck.intro": (
        "Åbne bestillinger og emner, hvor intet er sket i mindst det valgte antal arbejdsdage "
        "(dansk kalender, kontortid 8–16): hvor de ligger (enheden for deres seneste hændelse), "
        "siden hvornår og hvor længe. Ældste først. Ingen personer vises.",
        "Open orders and items where nothing has happened for at least the chosen number of "
        "working days (Danish calendar, office hours 8–16): where they lie (the unit of their "
        "last event), since when and for how long. Oldest first. No person is shown.",
    ),
    "stuck.as_of": ("Opgjort pr. dato (dd.mm.åååå)", "As of date (yyyy-mm-dd)"),
    "stuck.as_of_placeholder": ("logens slutning", "the log's end"),
    "stuck.days": ("Mindst arbejdsdage uden hændelser", "At least working days without events"),
    "stuck.choose": ("Vælg en log med bestillinger.", "Choose a log of orders."),
    "stuck.bad_days": (
        "Antal arbejdsdage skal være et tal fra 0 og op (fx 5).",
        "The number of working days must be a number from 0 up (e.g. 5).",
    ),
    "stuck.bad_date": (
        "Datoen {value} kan ikke læses: skriv den som dd.mm.åååå, fx 30.06.2025.",
        "The date {value} cannot be read: write it as yyyy-mm-dd, e.g. 2025-06-30.",
    ),
    "stuck.error": ("Sagerne kunne ikke findes: {error}", "The cases could not be found: {error}"),
    "stuck.summary": (
        "{stuck} af {open} åbne sager har ventet mindst {days} arbejdsdage pr. {as_of}.",
        "{stuck} of {open} open cases have waited at least {days} working days as of {as_of}.",
    ),
    "stuck.none": ("Ingen sager venter så længe.", "No case waits that long."),
    "stuck.areas_title": ("Hvor de venter", "Where they wait"),
    "stuck.list_title": ("Sagerne, ældste først", "The cases, oldest first"),
    "stuck.col.case": ("Sag", "Case"),
    "stuck.col.unit": ("Venter hos", "Waiting at"),
    "stuck.col.in_unit_since": ("Hos enheden siden", "At the unit since"),
    "stuck.col.last_activity": ("Seneste hændelse", "Last event"),
    "stuck.col.waiting_since": ("Venter siden", "Waiting since"),
    "stuck.col.days": ("Arbejdsdage", "Working days"),
    "stuck.col.cases": ("Sager", "Cases"),
    "stuck.file_stem": ("fastlaaste-sager", "stuck-cases"),
    "stuck.no_model": (
        "Ingen forudsigelser: der er ingen model for {log}. Træn en med "
        "'kitflow predict cases-train {log}'.",
        "No predictions: there is no model for {log}. Train one with "
        "'kitflow predict cases-train {log}'.",
    ),
    "open.title": ("Åbne sager", "Open cases"),
    "open.choose": (
        "Vælg en log for at se dens åbne sager.",
        "Choose a log to see its open cases.",
    ),
    "open.error": (
        "De åbne sager kunne ikke forudsiges: {error}",
        "The open cases could not be predicted: {error}",
    ),
    "open.no_model": (
        "Ingen forudsigelsesmodel for {log} endnu. En analytiker træner en med "
        "'kitflow predict cases-train {log}' (tilføj --sla-hours H for en SLA i timer).",
        "No prediction model for {log} yet. An analyst trains one with "
        "'kitflow predict cases-train {log}' (add --sla-hours H for an SLA in hours).",
    ),
    "open.withheld": (
        "Loggen nævner færre end 5 personer, så dens åbne sager vises ikke.",
        "The log names fewer than 5 people, so its open cases are not shown.",
    ),
    "open.none": ("Ingen sager er åbne ved logens slutning.", "No case is open at the log's end."),
    "open.summary": (
        "{count} åbne sager pr. {as_of} (uden afsluttende hændelse); de {shown} med længst "
        "forventet restid vises. Ingen personer vises.",
        "{count} open cases as of {as_of} (no closing event); the {shown} with the longest "
        "expected remaining time are shown. No person is shown.",
    ),
    "open.model": (
        "Forudsigelser fra model version {version} (trænet {trained}). Prøvet på senere sager: "
        "restid i gennemsnit {mae} dage forkert (gennemsnit pr. seneste hændelse: {base} dage); "
        "næste hændelse rigtig i {top1} % (hyppigste efter seneste hændelse: {base_top1} %).",
        "Predictions from model version {version} (trained {trained}). Tested on later cases: "
        "remaining time off by {mae} days on average (mean per last event: {base} days); next "
        "event right in {top1} % (most frequent after the last event: {base_top1} %).",
    ),
    "open.brier": (
        "SLA-risikoens Brier-score {brier} (fast andel: {base}).",
        "The SLA risk's Brier score {brier} (constant rate: {base}).",
    ),
    "open.sla_rule.task_sla": ("SLA fra ServiceNows task_sla.", "SLA from ServiceNow's task_sla."),
    "open.sla_rule.hours": (
        "SLA: sagen afsluttet inden {hours} timer.",
        "SLA: the case closed within {hours} hours.",
    ),
    "open.sla_rule.none": (
        "Ingen SLA (loggen har ingen task_sla; træn med --sla-hours H).",
        "No SLA (the log has no task_sla; train with --sla-hours H).",
    ),
    "open.col.case": ("Sag", "Case"),
    "open.col.last_activity": ("Seneste hændelse", "Last event"),
    "open.col.unit": ("Hos enheden", "At the unit"),
    "open.col.elapsed": ("Åben (dage)", "Open (days)"),
    "open.col.remaining": ("Forventet restid (dage)", "Expected remaining (days)"),
    "open.col.sla_risk": ("Risiko for SLA-brud", "Risk of SLA breach"),
    "open.col.next": ("Forventet næste hændelse", "Expected next event"),
    "open.col.expected_end": ("Forventet afsluttet", "Expected end"),
    "open.next": ("{activity} ({share} %)", "{activity} ({share} %)"),
    "open.sla.breached": ("brudt", "breached"),
    "open.sla.met": ("overholdt", "met"),
    "open.sla.none": ("ingen SLA", "no SLA"),
    "analysis.title": ("Procesanalyse", "Process analysis"),
    "analysis.intro": (
        "Varianter, flaskehalse og overleveringer mellem enheder for en hændelseslog, i en "
        "valgt periode og eventuelt for udvalgte enheder. Tider vises i dansk tid.",
        "Variants, bottlenecks and handovers between units of an event log, in a chosen period "
        "and optionally for chosen units. Times are shown in Danish time.",
    ),
    "analysis.period": ("Periode (sager med aktivitet i perioden)", "Period (cases active in it)"),
    "analysis.org_units": (
        "Enheder (sager, der berører mindst én af dem)",
        "Units (cases that touch at least one of them)",
    ),
    "analysis.org_units_placeholder": ("Alle enheder", "All units"),
    "analysis.choose": (
        "Vælg en hændelseslog ovenfor for at se varianter, flaskehalse og overleveringer.",
        "Choose an event log above to see its variants, bottlenecks and handovers.",
    ),
    "analysis.empty_window": (
        "Ingen sager i loggen {name} matcher perioden og enhederne. Udvid perioden eller vælg "
        "andre enheder.",
        "No cases of the log {name} match the period and units. Widen the period or choose "
        "other units.",
    ),
    "analysis.error": (
        "Analysen kunne ikke beregnes: {error}",
        "Could not compute the analysis: {error}",
    ),
    "analysis.withheld": (
        "Udvalget i loggen {name} viser under 5 personer, så det vises ikke (5-personers-reglen). "
        "Udvid perioden eller vælg flere eller større enheder.",
        "The selection of the log {name} shows fewer than 5 people, so it is not shown (the "
        "5-person rule). Widen the period or choose more or larger units.",
    ),
    "analysis.no_people": (
        "Loggen har ingen kolonne med personer, så 5-personers-reglen kan ikke tælles her.",
        "The log has no people column, so the 5-person rule cannot be counted here.",
    ),
    "analysis.merged_units": (
        "{count} enheder med under 5 personer er slået sammen til «{other}».",
        "{count} units with fewer than 5 people are merged into “{other}”.",
    ),
    "analysis.withheld_units": (
        "{count} enheder med under 5 personer (også samlet) er udeladt.",
        "{count} units with fewer than 5 people (even together) are left out.",
    ),
    "privacy.other": ("Øvrige (under 5 personer)", "Other (fewer than 5 people)"),
    "privacy.other_activities": (
        "Øvrige aktiviteter (under 5 personer)",
        "Other activities (fewer than 5 people)",
    ),
    "privacy.merged_activities": (
        "{count} aktiviteter med under 5 personer er slået sammen til «{other}» "
        "(5-personers-reglen; en robot eller systemkonto tæller som én person).",
        "{count} activities with fewer than 5 people are merged into “{other}” (the 5-person "
        "rule; a robot or a system account counts as one person).",
    ),
    "privacy.withheld_activities": (
        "{count} aktiviteter med under 5 personer (også samlet) er udeladt med deres pile "
        "(5-personers-reglen; en robot eller systemkonto tæller som én person).",
        "{count} activities with fewer than 5 people (even together) are left out with their "
        "arcs (the 5-person rule; a robot or a system account counts as one person).",
    ),
    "analysis.withheld_months": (
        "{count} måneder med under 5 personer er udeladt (5-personers-reglen).",
        "{count} months with fewer than 5 people are left out (the 5-person rule).",
    ),
    "analysis.summary": (
        "Sager: {cases} · varianter: {variants} · periode: {start} – {end}",
        "Cases: {cases} · variants: {variants} · period: {start} – {end}",
    ),
    "analysis.variants": ("Varianter", "Variants"),
    "analysis.coverage": (
        "De {top} hyppigste varianter dækker {share} % af sagerne.",
        "The {top} most frequent variants cover {share} % of the cases.",
    ),
    "analysis.other_variants": ("Øvrige varianter ({count})", "Other variants ({count})"),
    "analysis.bottlenecks": ("Flaskehalse", "Bottlenecks"),
    "analysis.bottlenecks_intro": (
        "Overgange rangeret efter samlet ventetid (antal × gennemsnitlig ventetid).",
        "Arcs ranked by total waiting time (frequency × mean wait).",
    ),
    "analysis.no_waits": (
        "Der er ingen ventetider i perioden (ingen sag har mere end én hændelse).",
        "There is no waiting in the period (no case has more than one event).",
    ),
    "analysis.bottleneck_chart": (
        "Samlet ventetid pr. måned, de 3 største flaskehalse",
        "Total waiting per month, the 3 largest bottlenecks",
    ),
    "analysis.wait_hours": ("Ventetid (timer)", "Waiting (hours)"),
    "analysis.month": ("Måned", "Month"),
    "analysis.bad_period": (
        "Perioden slutter ({end}) før den begynder ({start}): vælg en slutdato efter startdatoen.",
        "The period ends ({end}) before it begins ({start}): choose an end after the start.",
    ),
    "analysis.month_cases": ("{cases} sager", "{cases} cases"),
    "analysis.partial_month": ("delvis", "partial"),
    "analysis.partial_months": (
        "Åbne punkter er delvise måneder: data (eller den valgte periode) dækker ikke hele "
        "måneden. Under en måned står antallet af sager med hændelser i den (med mere end 12 "
        "måneder under nogle af dem; hold musen over et punkt for de øvrige).",
        "Open points are partial months: the data (or the chosen period) does not cover the "
        "whole month. Under a month is the number of cases with events in it (with more than 12 "
        "months under some of them; hover over a point for the others).",
    ),
    "analysis.started_cases_note": (
        "Åbne punkter er delvise måneder: data (eller den valgte periode) dækker ikke hele "
        "måneden. Under en måned står antallet af sager, der begyndte i den (med mere end 12 "
        "måneder under nogle af dem; hold musen over et punkt for de øvrige).",
        "Open points are partial months: the data (or the chosen period) does not cover the "
        "whole month. Under a month is the number of cases that started in it (with more than 12 "
        "months under some of them; hover over a point for the others).",
    ),
    "analysis.handovers": ("Overleveringer mellem enheder", "Handovers between units"),
    "analysis.handovers_intro": (
        "Kun på enhedsniveau (serviceområder, tildelingsgrupper); ingen visning pr. medarbejder.",
        "At unit level only (service areas, assignment groups); no view per employee.",
    ),
    "analysis.no_org_unit": (
        "Loggen {name} har ingen kolonne med enheder, så overleveringer kan ikke vises. Importér "
        "den med --group KOLONNE (tildelingsgruppe eller serviceområde).",
        "The log {name} has no org unit column, so handovers cannot be shown. Import it with "
        "--group COLUMN (the assignment group or service area).",
    ),
    "analysis.no_handovers": (
        "Ingen overleveringer mellem enheder i perioden.",
        "No handovers between units in the period.",
    ),
    "analysis.ping_pong": (
        "Ping-pong (A → B → A): {occurrences} · sager med ping-pong: {cases}",
        "Ping-pong (A → B → A): {occurrences} · cases with ping-pong: {cases}",
    ),
    "analysis.matrix_top": (
        "Matrixen viser de {shown} enheder med flest overleveringer, af {total} enheder med "
        "overleveringer; tabellen nedenfor viser de hyppigste overleveringer.",
        "The matrix shows the {shown} units with the most handovers, of {total} units with "
        "handovers; the table below shows the most frequent handovers.",
    ),
    "analysis.matrix_from": ("Fra enhed", "From unit"),
    "analysis.matrix_to": ("Til enhed", "To unit"),
    "analysis.matrix_count": ("Overleveringer", "Handovers"),
    "analysis.handover_trend": (
        "Overleveringer pr. sag, efter sagens startmåned",
        "Handovers per case, by the month the case started",
    ),
    "analysis.per_case": ("Overleveringer pr. sag", "Handovers per case"),
    "analysis.col.rank": ("Nr.", "No."),
    "analysis.col.variant": ("Variant", "Variant"),
    "analysis.col.events": ("Hændelser", "Events"),
    "analysis.col.cases": ("Sager", "Cases"),
    "analysis.col.share": ("Andel", "Share"),
    "analysis.col.mean": ("Gns. gennemløbstid", "Mean throughput"),
    "analysis.col.median": ("Median gennemløbstid", "Median throughput"),
    "analysis.col.source": ("Fra", "From"),
    "analysis.col.target": ("Til", "To"),
    "analysis.col.frequency": ("Antal", "Frequency"),
    "analysis.col.mean_wait": ("Gns. ventetid", "Mean wait"),
    "analysis.col.total_wait": ("Samlet ventetid", "Total wait"),
    "analysis.col.wait_share": ("Andel af ventetid", "Share of waiting"),
    "analysis.col.handovers": ("Overleveringer", "Handovers"),
    "analysis.unit.days": ("{value} dage", "{value} days"),
    "analysis.unit.hours": ("{value} timer", "{value} hours"),
    "analysis.unit.minutes": ("{value} min", "{value} min"),
    "analysis.unit.seconds": ("{value} sek", "{value} s"),
    # The directors' pages: Overblik, Gevinstrealisering, Opfølgning (app/dashboard/pages).
    "nav.overview": ("Overblik", "Overview"),
    "nav.realisation": ("Gevinstrealisering", "Benefit realisation"),
    "nav.followup": ("Opfølgning", "Follow-up"),
    "cockpit.no_cases": (
        "Der er ingen business cases med opfølgningsbinding i {folder}.",
        "There are no business cases with follow-up bindings in {folder}.",
    ),
    "cockpit.error": ("Gevinsterne kunne ikke opgøres: {error}", "Could not measure: {error}"),
    "cockpit.as_of": ("Opgjort pr. {date}", "As of {date}"),
    "cockpit.coverage": ("Data", "Data"),
    "cockpit.coverage_source": ("{source} {first}–{last}", "{source} {first}–{last}"),
    "cockpit.coverage_none": ("{source}: ingen data", "{source}: no data"),
    "cockpit.source.servicenow": ("ServiceNow", "ServiceNow"),
    "cockpit.source.azure-devops": ("Azure DevOps", "Azure DevOps"),
    "cockpit.source.time-registration": ("Tidsregistrering", "Time registration"),
    "cockpit.source.robots": ("Kørselsdata", "Robot run data"),
    "cockpit.payback": ("{years} år ({year})", "{years} years ({year})"),
    "cockpit.no_payback": ("ikke i budgetårene", "not within the budget years"),
    "cockpit.xlsx": ("Excel", "Excel"),
    "cockpit.xlsx_title": ("Hent tabellen som Excel-ark", "Download the table as a spreadsheet"),
    "cockpit.case": ("Business case", "Business case"),
    "overview.title": ("Overblik", "Overview"),
    "overview.intro": (
        "Får vi det, vi har betalt for? Hver investering: gevinsten i casen mod den "
        "realiserede og fremskrevne, tilbagebetalingen og opfølgningsmålene.",
        "Are we getting what we paid for? Each investment: the savings in the case against "
        "those realised and forecast, the payback and the follow-up targets.",
    ),
    "overview.col.measure": ("Nøgletal", "Key figure"),
    "overview.col.case": ("I casen", "In the case"),
    "overview.col.realised": ("Realiseret", "Realised"),
    "overview.row.this_year": ("Gevinst {year}, 1.000 kr.", "Savings {year}, DKK 1,000"),
    "overview.row.to_date": ("Gevinst til dato, 1.000 kr.", "Savings to date, DKK 1,000"),
    "overview.row.to_date_aav": ("Gevinst til dato, ÅV", "Savings to date, FTE"),
    "overview.row.realisation": ("Realisering til dato", "Realisation to date"),
    "overview.row.payback": (
        "Tilbagebetalingstid (realiseret: målt og prognose)",
        "Payback (realised: measured and forecast)",
    ),
    "overview.curve": (
        "Akkumuleret nettogevinst, 1.000 kr. (over 0: investeringen er tjent hjem)",
        "Cumulative net gain, DKK 1,000 (above 0: the investment has paid back)",
    ),
    "overview.targets": ("Opfølgningsmål", "Follow-up targets"),
    "overview.none_need_action": ("Ingen mål kræver handling.", "No target needs action."),
    "overview.more": ("+{count} flere i Opfølgning", "+{count} more in Follow-up"),
    "overview.details": ("Gevinstrealisering", "Benefit realisation"),
    "chart.budget": ("Casen (budget)", "The case (budget)"),
    "chart.realised": ("Realiseret", "Realised"),
    "chart.forecast": ("Prognose", "Forecast"),
    "chart.budget_costs": ("Omkostninger i casen", "Costs in the case"),
    "chart.actual_costs": ("Faktiske omkostninger", "Actual costs"),
    "chart.tkr": ("1.000 kr.", "DKK 1,000"),
    "realisation.title": ("Gevinstrealisering", "Benefit realisation"),
    "realisation.intro": (
        "Én investering: Tabel 1 med budget, realiseret og prognose, gevinsten pr. delløsning "
        "målt på tre måder, og hvem der bruger løsningerne.",
        "One investment: Table 1 with budget, realised and forecast, the savings per "
        "sub-solution measured three ways, and who uses the solutions.",
    ),
    "realisation.facts": (
        "Beløb i 1.000 kr., {pl_year}-p/l · 1 ÅV = {hours} timer = {kroner} kr.",
        "Amounts in DKK 1,000 at {pl_year} p/l · 1 FTE = {hours} hours = DKK {kroner}",
    ),
    "realisation.yearly": (
        "Gevinst og omkostninger pr. år, 1.000 kr.",
        "Savings and costs per year, DKK 1,000",
    ),
    "realisation.tables": (
        "Tabel 1 (besparelser negative som i kommunens tabeller)",
        "Table 1 (savings negative, as in the municipality's tables)",
    ),
    "realisation.methods": (
        "Gevinst pr. delløsning i timer, målt på tre måder",
        "Savings per sub-solution in hours, measured three ways",
    ),
    "realisation.methods_note": (
        "Tal i parentes er usikkerhedsintervallet. Realisering er den primære metodes timer "
        "over casens forventning.",
        "Figures in brackets are the band. Realisation is the primary method's hours over the "
        "case's expectation.",
    ),
    "realisation.go_live": (
        "Idriftsat {date} · primær metode: {method}",
        "Live since {date} · primary method: {method}",
    ),
    "realisation.no_method": ("ingen målinger", "no measurements"),
    "realisation.col.year": ("År", "Year"),
    "realisation.col.expected": ("Forventet", "Expected"),
    "realisation.col.realisation": ("Realisering", "Realisation"),
    "realisation.usage": (
        "Hvem bruger løsningerne: personer pr. serviceområde",
        "Who uses the solutions: people per service area",
    ),
    "realisation.usage_note": (
        "Personer, der har kørt løsningens robot til og med opgørelsesdatoen, efter det "
        "serviceområde, de registrerer tid i. Grupper under 5 personer vises ikke med tal, så "
        "ingen kan genkendes.",
        "People who ran the solution's robot up to the as-of date, by the service area they "
        "register time in. Groups below 5 people are not shown with a figure, so no one can "
        "be recognised.",
    ),
    "realisation.col.solution": ("Løsning", "Solution"),
    "realisation.col.area": ("Serviceområde", "Service area"),
    "realisation.col.users": ("Brugere", "Users"),
    "realisation.withheld": ("under 5", "below 5"),
    "realisation.no_users": ("ingen fundet i kørselsdata", "none found in the run data"),
    "realisation.no_usage": (
        "Ingen af casens løsninger har kørselsdata med brugere.",
        "None of the case's solutions has run data with users.",
    ),
    "followup.title": ("Opfølgning", "Follow-up"),
    "followup.intro": (
        "Hvert opfølgningsmål med status, evidensen bag, hvem der er ansvarlig, og fristen. "
        "Status gælder på opgørelsesdatoen og bygger kun på data til og med den.",
        "Every follow-up target with its status, the evidence behind it, who answers for it, "
        "and the deadline. The status holds on the as-of date and uses data up to it only.",
    ),
    "followup.as_of": ("Opgørelsesdato", "As-of date"),
    "followup.responsible": ("Ansvarlig", "Responsible"),
    "followup.all_responsible": ("Alle ansvarlige", "Everyone responsible"),
    "followup.all_cases": ("Alle cases", "All cases"),
    "followup.report": ("Rapport til KIT DIR", "Report to KIT DIR"),
    "followup.download": ("Hent rapport", "Download report"),
    "followup.shown": ("{shown} af {total} mål", "{shown} of {total} targets"),
    "followup.col.number": ("Nr.", "No."),
    "followup.col.status": ("Status", "Status"),
    "followup.col.target": ("Opfølgningsmål", "Target"),
    "followup.col.evidence": ("Evidens", "Evidence"),
    "followup.col.responsible": ("Ansvarlig", "Responsible"),
    "followup.col.deadline": ("Frist", "Deadline"),
    # Realised savings and follow-up (Gevinstrealisering, Opfølgning, kitflow followup).
    "benefits.disagree": (
        "Metoderne er uenige om {name}: {notes}",
        "The methods disagree on {name}: {notes}",
    ),
    "capacity.title": ("Kapacitet og budget", "Capacity and budget"),
    "capacity.note": (
        "Frigjort kapacitet er de timer, løsningerne sparer (den primære metode). Timer, der "
        "efter idriftsættelse er registreret på de aktiviteter, frigjort tid flytter til, ud "
        "over niveauet før, er kapacitet brugt på andet arbejde: de sparer ikke budget.",
        "Capacity freed is the hours the solutions save (the primary method). Hours registered "
        "after go-live on the activities freed time moves to, above the level before, are "
        "capacity spent on other work: they do not save budget.",
    ),
    "capacity.col.year": ("År", "Year"),
    "capacity.col.capacity": ("Frigjort kapacitet, timer", "Capacity freed, hours"),
    "capacity.col.moved": ("Flyttet til andet arbejde, timer", "Moved to other work, hours"),
    "capacity.col.budget": ("Budgetgevinst, timer", "Budget saving, hours"),
    "benefits.gap": (
        "{method} giver {hours} t mod {primary}s {primary_hours} t ({gap} %). Mest sandsynlig "
        "årsag: {cause}",
        "{method} gives {hours} h against {primary}'s {primary_hours} h ({gap} %). Most likely "
        "cause: {cause}",
    ),
    "benefits.gap_unknown": (
        "{method} giver {hours} t mod {primary}s {primary_hours} t ({gap} %). Årsagen kan "
        "ikke ses i data",
        "{method} gives {hours} h against {primary}'s {primary_hours} h ({gap} %). The cause "
        "cannot be told from the data",
    ),
    # What can fool a method (models/benefit_checks.py): one sentence per cause.
    "cause.registration_rounded": (
        "tiden er rundet op til kvarte timer: {registered_minutes} min. registreret pr. sag "
        "mod {mined_minutes} min. målt i ServiceNow før idriftsættelse",
        "time is rounded up to quarter hours: {registered_minutes} min registered per case "
        "against {mined_minutes} min measured in ServiceNow before go-live",
    ),
    "cause.registration_differs": (
        "tidsregistreringen afviger fra den målte behandlingstid: {registered_minutes} min. "
        "pr. sag mod {mined_minutes} min. i ServiceNow før idriftsættelse",
        "the time registration differs from the measured handling time: {registered_minutes} "
        "min per case against {mined_minutes} min in ServiceNow before go-live",
    ),
    "cause.registration_floor": (
        "{share} % af sagerne er registreret med den mindste enhed, et kvarter: den reelle tid "
        "er sandsynligvis kortere, og besparelsen overvurderes",
        "{share} % of the cases are registered at the smallest unit, a quarter hour: the real "
        "time is likely shorter, and the saving is overstated",
    ),
    "cause.few_people": (
        "tidsregistreringens tal er udeladt: færre end {limit} personer registrerede på "
        "arbejdet i et år efter idriftsættelse (5-personsreglen)",
        "the time-registration figures are withheld: fewer than {limit} people registered the "
        "work in a year after go-live (the 5-person rule)",
    ),
    "cause.registration_shift": (
        "registreringen ændrede sig for alt arbejde ({shift} % i sammenligningsprocessen); "
        "der er korrigeret for det",
        "registration changed for all work ({shift} % in the comparison process); corrected for",
    ),
    "cause.no_comparison": (
        "ingen sammenligningsproces: en ændring, der rammer alt arbejde (registreringsvaner, "
        "arbejdsgange), kan ikke skilles fra løsningens effekt",
        "no comparison process: a change that hits all work (registration habits, ways of "
        "working) cannot be told apart from the solution's effect",
    ),
    "cause.unregistered_cases": (
        "{share} % af sagerne har ingen tidsregistrering; der er korrigeret for andelen",
        "{share} % of the cases have no time registered; corrected for the share",
    ),
    "cause.catch_all": (
        "{share} % af timerne er ført på en opsamlingsaktivitet med sagsnummeret; de er talt med",
        "{share} % of the hours are booked on a catch-all activity with the case number; "
        "counted in",
    ),
    "cause.demand_change": (
        "efterspørgslen ændrede sig {change} % året efter idriftsættelse; målt pr. sag",
        "demand changed {change} % in the year after go-live; measured per case",
    ),
    "cause.partial_takeover": (
        "robotten tog {share} % af sagerne de seneste måneder; resten tælles som manuelle",
        "the robot took {share} % of the cases in the last months; the rest count as manual",
    ),
    "cause.costly_exceptions": (
        "en undtagelse koster {exception_minutes} min. mod {manual_minutes} min. for en manuel "
        "sag; trukket fra",
        "an exception costs {exception_minutes} min against {manual_minutes} min for a manual "
        "case; subtracted",
    ),
    "cause.handover_model": (
        "process mining prissætter hver undgået overdragelse til en ligelig andel af "
        "koordineringstiden før",
        "process mining prices each avoided handover at an equal share of the coordination "
        "time before",
    ),
    "cause.manual_minutes_assumed": (
        "de manuelle minutter ({manual_minutes} min.) er antaget i bindingsfilen, ikke målt",
        "the manual minutes ({manual_minutes} min) are assumed in the binding file, not measured",
    ),
    # The KIT DIR follow-up report (app/reports/, kitflow report followup).
    "report.title": ("Opfølgning til KIT DIR", "Follow-up report to KIT DIR"),
    "report.subtitle": (
        "Gevinstrealisering og opfølgningsmål pr. {date}",
        "Benefit realisation and follow-up targets as of {date}",
    ),
    "report.footer": (
        "KIT Flow · opfølgning pr. {date} · side {page}",
        "KIT Flow · follow-up as of {date} · page {page}",
    ),
    "report.cases": ("Sager i rapporten", "Cases in the report"),
    "report.col.case": ("Sag", "Case"),
    "report.col.pl": ("Prisniveau (p/l)", "Price level (p/l)"),
    "report.col.hours_per_aav": ("Timer pr. ÅV", "Hours per FTE"),
    "report.col.kroner_per_aav": ("Kr. pr. ÅV", "DKK per FTE"),
    "report.status_counts": ("Opfølgningsmålenes status", "Status of the follow-up targets"),
    "report.coverage": (
        "Datagrundlag: hvor langt hver kildes data rækker",
        "Data: how far each source's data reach",
    ),
    "report.col.source": ("Kilde", "Source"),
    "report.col.first": ("Første", "First"),
    "report.col.last": ("Sidste", "Last"),
    "report.col.rows": ("Rækker", "Rows"),
    "report.no_data": ("ingen data", "no data"),
    "report.notes": ("Bemærkninger", "Notes"),
    "report.key_figures": ("Nøgletal", "Key figures"),
    "report.col.budget": ("I casen", "In the case"),
    "report.col.measured": ("Målt og fremskrevet", "Measured and forecast"),
    "report.figure.this_year": ("Gevinst {year}, 1.000 kr.", "Savings {year}, DKK 1,000"),
    "report.figure.to_date_tkr": ("Gevinst til dato, 1.000 kr.", "Savings to date, DKK 1,000"),
    "report.figure.to_date_aav": ("Gevinst til dato, ÅV", "Savings to date, FTE"),
    "report.figure.realisation": ("Realisering til dato", "Realisation to date"),
    "report.figure.payback": ("Tilbagebetalingstid, år", "Payback, years"),
    "report.figure.break_even": ("Tilbagebetalt i året", "Paid back in the year"),
    "report.case_facts": (
        "{pl} p/l · 1 ÅV = {hours} timer og {kroner} kr.",
        "{pl} p/l · 1 FTE = {hours} hours and DKK {kroner}",
    ),
    "report.payback": (
        "Tilbagebetaling: akkumuleret økonomisk effekt",
        "Payback: cumulative economic effect",
    ),
    "report.chart.axis": (
        "Akkumuleret nettogevinst, 1.000 kr. {pl} p/l (over 0 = investeringen er tjent hjem)",
        "Cumulative net gain, DKK 1,000 at {pl} p/l (above 0 = the investment has paid back)",
    ),
    "report.chart.budget": ("Budget (casen)", "Budget (the case)"),
    "report.chart.realised": ("Realiseret", "Realised"),
    "report.chart.forecast": ("Prognose", "Forecast"),
    "report.targets": ("Opfølgningsmål", "Follow-up targets"),
    "report.col.number": ("Nr.", "No."),
    "report.col.status": ("Status", "Status"),
    "report.col.target": ("Opfølgningsmål", "Target"),
    "report.col.measure": ("Måles", "Measured by"),
    "report.col.responsible": ("Ansvarlig", "Responsible"),
    "report.col.deadline": ("Frist", "Deadline"),
    "report.col.deadline_date": ("Frist (dato)", "Deadline (date)"),
    "report.col.evidence": ("Evidens", "Evidence"),
    "report.col.judgements": ("Vurdering pr. frist", "Judgement per deadline"),
    "report.col.year": ("År", "Year"),
    "report.col.cumulative_budget": ("Akkumuleret, budget", "Cumulative, budget"),
    "report.col.cumulative_forecast": (
        "Akkumuleret, realiseret og prognose",
        "Cumulative, realised and forecast",
    ),
    "report.col.basis": ("Grundlag", "Basis"),
    "report.sheet.overview": ("Oversigt", "Overview"),
    "report.sheet.table_1": ("Tabel 1", "Table 1"),
    "report.sheet.payback": ("Tilbagebetaling", "Payback"),
    "report.sheet.followup": ("Opfølgning", "Follow-up"),
    "report.sheet.coverage": ("Datagrundlag", "Data"),
    "report.sheet.method": ("Metode", "Method"),
    "report.method": ("Sådan måles gevinsterne", "How the savings are measured"),
    "report.method.measured": (
        "Gevinsterne måles pr. kalendermåned fra idriftsættelsen på tre måder: kørselsdata "
        "(gennemførte transaktioner × målt manuel tid pr. sag før idriftsættelsen, minus den "
        "menneskelige resttid og undtagelsernes ekstra tid), tidsregistrering (timer pr. sag før "
        "idriftsættelsen × månedens volumen, minus de registrerede timer) og process mining "
        "(sagernes menneskelige behandlingstid i ServiceNow før og efter).",
        "Savings are measured per calendar month from the go-live in three ways: robot run data "
        "(successful transactions × the measured manual time per case before the go-live, minus "
        "the residual human time and the exceptions' extra time), time registration (hours per "
        "case before the go-live × the month's volume, minus the hours registered) and process "
        "mining (the cases' human handling time in ServiceNow before and after).",
    ),
    "report.method.primary": (
        "Den primære metode er kørselsdata, hvor der er en robot, ellers tidsregistrering, ellers "
        "process mining; en metode mere end 20 % fra den primære nævnes. Hvert skøn har et 95 "
        "%-interval fra usikkerheden på udgangspunktet.",
        "The primary method is robot run data where there is a robot, else time registration, "
        "else process mining; a method more than 20 % from the primary is called out. Each "
        "estimate has a 95 % band from the baseline's uncertainty.",
    ),
    "report.method.money": (
        "Timer omregnes til ÅV og kroner med casens egne forudsætninger. Beløb er i 1.000 kr. i "
        "casens p/l; i Tabel 1 er besparelser negative som i Københavns Kommunes tabeller, i "
        "nøgletallene positive.",
        "Hours become FTE and kroner with the case's own assumptions. Amounts are in DKK 1,000 at "
        "the case's p/l; in Table 1 savings are negative as in Copenhagen's tables, in the key "
        "figures positive.",
    ),
    "report.method.forecast": (
        "Realisering = den primære metodes timer i et år over de timer, casen forventer. "
        "Prognosen fremskriver niveauet i de seneste 3 måneder til de resterende budgetår, og "
        "tilbagebetalingen genberegnes med casens omkostninger (faktiske, hvor de er opgjort).",
        "Realisation = the primary method's hours in a year over the hours the case expects. The "
        "forecast projects the mean of the last 3 months to the remaining budget years, and the "
        "payback is recomputed with the case's costs (actual ones where stated).",
    ),
    "report.method.status": (
        "Status pr. statusdatoen, beregnet kun af data til og med den dato: opfyldt, når målingen "
        "viser målet nået; ikke nået, når fristen er passeret uden; før fristen på vej, når "
        "udviklingen når målet, ellers i risiko; ingen data, når data mangler, eller rækken ikke "
        "er bundet til en måling.",
        "Status as of the report's date, computed only from data up to that date: met when the "
        "metric shows the target reached; missed when the deadline has passed without it; before "
        "the deadline on track when the trend reaches it, else at risk; no data when the data are "
        "missing or the row is not bound to a metric.",
    ),
    "method.robot": ("kørselsdata", "robot run data"),
    "method.time_registration": ("tidsregistrering", "time registration"),
    "method.process_mining": ("process mining", "process mining"),
    "status.met": ("opfyldt", "met"),
    "status.on track": ("på vej", "on track"),
    "status.at risk": ("i risiko", "at risk"),
    "status.missed": ("ikke nået", "missed"),
    "status.no data": ("ingen data", "no data"),
    "evidence.unbound": (
        "ikke bundet til en måling: tilføj et target med follow_up: {number} i {file}",
        "not bound to a metric: add a target with follow_up: {number} to {file}",
    ),
    "evidence.no_robot_data": (
        "ingen kørselsdata for løsningen",
        "no robot run data for this solution",
    ),
    "evidence.no_transactions": (
        "ingen transaktioner i {process} senest {date}",
        "no transactions of {process} by {date}",
    ),
    "evidence.first_use": (
        "{process}: første transaktion {month}",
        "{process}: first transaction {month}",
    ),
    "value.fewer_than": ("under {limit}", "fewer than {limit}"),
    "evidence.usage_month": (
        "{month}: {transactions} transaktioner, antal brugere {users}",
        "{month}: {transactions} transactions, number of users {users}",
    ),
    "evidence.no_savings_data": (
        "ingen data til at måle gevinsten",
        "no data to measure the savings",
    ),
    "evidence.no_expected": (
        "casen forventer ingen gevinst i {year}",
        "the case expects no savings in {year}",
    ),
    "evidence.savings": (
        "{year}: {measured} timer målt ({method}) mod {expected} timer forventet = {pct} % "
        "(krav {threshold} %)",
        "{year}: {measured} h measured ({method}) against {expected} h expected = {pct} % "
        "(pass mark {threshold} %)",
    ),
    "evidence.savings_forecast": (
        "prognose for året {forecast} timer",
        "forecast for the year {forecast} h",
    ),
    "evidence.no_orders": (
        "ingen ServiceNow-data for bestillingerne",
        "no ServiceNow data for the orders",
    ),
    "evidence.handovers": (
        "overleveringer mellem serviceområder pr. sag: {before} før og {after} efter "
        "idriftsættelsen {go_live} (forskel {difference}, 95 %-konfidensinterval {low} til {high}; "
        "p = {p}; {n_before} og {n_after} sager)",
        "handovers between service areas per case: {before} before and {after} after the go-live "
        "{go_live} (difference {difference}, 95 % CI {low} to {high}; p = {p}; {n_before} and "
        "{n_after} cases)",
    ),
    "evidence.no_devops": ("ingen Azure DevOps-data", "no Azure DevOps data"),
    "evidence.devops_area": (
        "{area}: {pct} % af {items} Features og Stories bryder en SAFe-regel",
        "{area}: {pct} % of {items} Features and Stories break a SAFe rule",
    ),
    "evidence.devops_other": (
        "Øvrige ({count} serviceområder med under 5 personer, slået sammen): {pct} % af {items} "
        "Features og Stories bryder en SAFe-regel",
        "Other ({count} service areas with fewer than 5 people, merged): {pct} % of {items} "
        "Features and Stories break a SAFe rule",
    ),
    "evidence.devops_withheld": (
        "{count} serviceområder med under 5 personer (også samlet) er udeladt (5-personers-reglen)",
        "{count} service areas with fewer than 5 people (even together) are left out "
        "(the 5-person rule)",
    ),
    "evidence.no_links": (
        "ingen koblinger mellem bestillinger og DevOps (kør kitflow landscape link)",
        "no links between orders and DevOps (run kitflow landscape link)",
    ),
    "evidence.no_linked_orders": (
        "ingen bestillinger koblet til DevOps senest {date}",
        "no orders linked to DevOps by {date}",
    ),
    "evidence.integration_first": (
        "integrationen koblede første bestilling i {month}",
        "the integration linked its first order in {month}",
    ),
    "evidence.integration_month": (
        "{month}: {pct} % af {orders} bestillinger koblet af integrationen, median {median_hours} "
        "timer fra bestilling til DevOps",
        "{month}: {pct} % of {orders} orders linked by the integration, median {median_hours} h "
        "from order to DevOps",
    ),
    "evidence.handovers_too_few": (
        "for få bestillinger før og efter idriftsættelsen {go_live} senest {date} til at "
        "sammenligne",
        "too few orders before and after the go-live {go_live} by {date} to compare",
    ),
    "evidence.handovers_withheld": (
        "orden før eller efter idriftsættelsen {go_live} senest {date} viser under 5 personer, "
        "så sammenligningen vises ikke (5-personersreglen)",
        "the orders before or after the go-live {go_live} by {date} show fewer than 5 people, "
        "so the comparison is withheld (the 5-person rule)",
    ),
    "evidence.no_devops_items": (
        "ingen Features eller Stories i Azure DevOps senest {date}",
        "no Features or Stories in Azure DevOps by {date}",
    ),
    "evidence.as_of_past_data": (
        "{source}: data rækker kun til {last}, ikke til {date}",
        "{source}: the data reach only {last}, not {date}",
    ),
    "evidence.source.servicenow": ("ServiceNow", "ServiceNow"),
    "evidence.source.azure-devops": ("Azure DevOps", "Azure DevOps"),
    "evidence.source.time-registration": ("tidsregistrering", "time registration"),
    "evidence.source.robots": ("kørselsdata", "robot run data"),
    "followup.deadline_status": ("{deadline}: {status}", "{deadline}: {status}"),
    "followup.coverage": (
        "{source}: data fra {first} til {last}",
        "{source}: data from {first} to {last}",
    ),
    "followup.coverage_past": (
        "{source}: data fra {first} til {last}, før opgørelsesdatoen",
        "{source}: data from {first} to {last}, before the as-of date",
    ),
    "followup.coverage_none": ("{source}: ingen data", "{source}: no data"),
    # The cockpit's notes on a case's figures (services/cockpit.py, CaseOverview.notes).
    "note.as_of_past_data": (
        "opgørelsesdatoen {as_of} ligger efter de seneste data ({last})",
        "the as-of date {as_of} lies after the latest data ({last})",
    ),
    "note.measured_through": (
        "gevinsterne er målt til og med {month}; måneder derefter er fremskrevet med "
        "gennemsnittet af de sidste 3 målte måneder",
        "savings are measured up to and including {month}; later months are forecast at the "
        "mean of the last 3 measured months",
    ),
    "note.not_measured": (
        "ingen målinger endnu, så heller ingen prognose, for: {solutions}",
        "no measurements yet, so no forecast either, for: {solutions}",
    ),
    "note.costs_not_stated": (
        "faktiske omkostninger er ikke oplyst ({file} findes ikke); prognosen bruger casens",
        "actual costs are not stated ({file} does not exist); the forecast uses the case's",
    ),
    "note.costs_as_stated": (
        "faktiske omkostninger fra {file}, som angivet (ikke omregnet til {pl} p/l: intet "
        "p/l-indeks)",
        "actual costs from {file}, as stated (not converted to {pl} p/l: no p/l index)",
    ),
    "note.costs_converted": (
        "faktiske omkostninger fra {file}, omregnet til {pl} p/l med {index}",
        "actual costs from {file}, converted to {pl} p/l with {index}",
    ),
    # Sign-in, roles and sessions (app/dashboard/auth.py, login.py).
    "auth.title": ("Log ind", "Sign in"),
    "auth.username": ("Brugernavn", "User name"),
    "auth.password": ("Adgangskode", "Password"),
    "auth.submit": ("Log ind", "Sign in"),
    "auth.sso": (
        "Log ind med kommunens konto (Entra ID)",
        "Sign in with the municipality's account (Entra ID)",
    ),
    "auth.failed": (
        "Forkert brugernavn eller adgangskode. Prøv igen, eller bed en administrator om hjælp.",
        "Wrong user name or password. Try again, or ask an administrator for help.",
    ),
    "auth.rate_limited": (
        "For mange mislykkede forsøg på at logge ind. Vent {minutes} minutter, og prøv igen, "
        "eller bed en administrator om hjælp.",
        "Too many failed sign-ins. Wait {minutes} minutes and try again, or ask an "
        "administrator for help.",
    ),
    "auth.expired": (
        "Din session er udløbet. Log ind igen.",
        "Your session has expired. Sign in again.",
    ),
    "auth.logged_out": ("Du er logget ud.", "You are signed out."),
    "auth.forbidden": (
        "Din rolle giver ikke adgang til denne side. Bed en administrator om en anden rolle, "
        "hvis du skal bruge den.",
        "Your role does not give access to this page. Ask an administrator for another role "
        "if you need it.",
    ),
    "auth.no_role": (
        "Din konto er ikke med i en gruppe, der giver adgang til KIT Flow. Bed en administrator "
        "om at tilføje dig.",
        "Your account is in no group that gives access to KIT Flow. Ask an administrator to "
        "add you.",
    ),
    "auth.sso_failed": (
        "Log ind via Entra ID mislykkedes: {reason} Prøv igen.",
        "Signing in through Entra ID failed: {reason} Try again.",
    ),
    "auth.form_expired": (
        "Formularen er udløbet eller kom ikke fra denne side. Prøv at logge ind igen.",
        "The form has expired or did not come from this page. Try signing in again.",
    ),
    "auth.front_page": ("Til forsiden", "To the front page"),
    "auth.logout": ("Log ud", "Sign out"),
    # The method page "Sådan måles gevinsterne" (app/dashboard/pages/method.py) and the report's
    # method notes (app/reports/content.py, "Metodenoter"). Issue #14.
    "nav.method": ("Metode", "Method"),
    "method.title": ("Sådan måles gevinsterne", "How the savings are measured"),
    "method.intro": (
        "KIT Flow måler hver løsnings gevinst i timer på op til tre måder. Siden forklarer, hvad "
        "hvert tal er, hvordan det måles, hvad der kan snyde målingen, og hvad KIT Flow gør ved "
        "det. Nederst står, hvad KIT Flow har fundet i data for hver løsning.",
        "KIT Flow measures each solution's savings in hours in up to three ways. This page "
        "explains what each figure is, how it is measured, what can fool the measurement and "
        "what KIT Flow does about it. At the bottom is what KIT Flow has found in the data for "
        "each solution.",
    ),
    "method.methods": ("De tre målemetoder", "The three methods"),
    "method.label.how": ("Sådan måles det", "How it is measured"),
    "method.label.data": ("Data", "Data"),
    "method.about.robot": (
        "For hver sag, robotten har gennemført, spares den tid, en medarbejder "
        "brugte på en sag før idriftsættelsen, minus den tid, en medarbejder stadig bruger på "
        "sagen. Giver robotten op på en sag (en undtagelse), tæller kun det, den nåede; koster "
        "en undtagelse mere end en manuel sag, trækkes forskellen fra gevinsten.",
        "For each case the robot completes, the saving is the time a member of "
        "staff spent on a case before the go-live, minus the time staff still spend on it. When "
        "the robot gives up on a case (an exception), only what it did counts; when an exception "
        "costs more than a manual case, the difference is subtracted from the savings.",
    ),
    "method.data.robot": (
        "Robottens kørselsdata (gennemførte sager og undtagelser) og den manuelle tid pr. sag "
        "før idriftsættelsen: målt i ServiceNow, ellers i tidsregistreringen, ellers som "
        "angivet i bindingsfilen.",
        "The robot's run data (completed cases and exceptions) and the manual time per case "
        "before the go-live: measured in ServiceNow, else in the time registration, else as "
        "stated in the binding file.",
    ),
    "method.about.time_registration": (
        "De timer, medarbejderne registrerede pr. sag før idriftsættelsen, "
        "ganges med månedens antal sager, og de timer, der faktisk er registreret på sagerne, "
        "trækkes fra. Alle sager tæller på begge sider, også dem robotten tog.",
        "The hours staff registered per case before the go-live are "
        "multiplied by the month's number of cases, and the hours actually registered on the "
        "cases are subtracted. Every case counts on both sides, including those the robot took.",
    ),
    "method.data.time_registration": (
        "Tidsregistreringen (timer pr. sagsnummer, også på opsamlingsaktiviteter), antallet af "
        "sager pr. måned i ServiceNow og, hvis løsningen har en, sammenligningsprocessens timer.",
        "The time registration (hours per case number, catch-all activities included), the "
        "number of cases per month in ServiceNow and, where the solution has one, the hours of "
        "the comparison process.",
    ),
    "method.about.process_mining": (
        "For hver sag efter idriftsættelsen sammenlignes den menneskelige "
        "behandlingstid, aflæst i sagens forløb, med tiden pr. sag før. Robottens egne trin "
        "tæller ikke med. For koordineringsarbejde uden egentlige behandlingstrin måles i stedet "
        "faldet i overdragelser pr. sag.",
        "For each case after the go-live, the human handling time read from the "
        "case's history is compared with the time per case before. The robot's own steps do not "
        "count. For coordination work without real handling steps, the fall in handovers per "
        "case is measured instead.",
    ),
    "method.data.process_mining": (
        "Sagernes forløb i ServiceNow: hvornår hvert trin begyndte og sluttede, og hvem der "
        "udførte det.",
        "The cases' history in ServiceNow: when each step started and ended, and who did it.",
    ),
    "method.primary_title": ("Hvilket tal der gælder", "Which figure counts"),
    "method.primary": (
        "Har løsningen en robot, er kørselsdata den primære metode: forslagene siger, at "
        "gevinsten »aflæses i kørselsdata«, og kørselsdata tæller hver sag, robotten faktisk "
        "har klaret. Uden robot er tidsregistreringen primær, ellers process mining. Kun den "
        "primære metode indgår i realisering, prognose og tilbagebetaling; de andre er "
        "kontrolmålinger. Afviger en kontrolmåling mere end {pct} % fra den primære, står det "
        "ved løsningen sammen med den mest sandsynlige årsag.",
        "Where the solution has a robot, robot run data is the primary method: the proposals "
        'say the savings are "read from the run data", and the run data count every case the '
        "robot actually handled. Without a robot, time registration is primary, else process "
        "mining. Only the primary method goes into realisation, forecast and payback; the "
        "others are cross-checks. When a cross-check differs from the primary by more than "
        "{pct} %, it is shown with the solution together with the most likely cause.",
    ),
    "method.band_title": ("Tallene i parentes", "The figures in brackets"),
    "method.band": (
        "Tallene i parentes efter en gevinst (på siden Gevinstrealisering) er et 95 %-interval. "
        "KIT Flow regner gevinsten om "
        "{replicates} gange, hver gang på en ny tilfældig udtrækning af sagerne bag tiden pr. "
        "sag (og af sammenligningsprocessens sager), og intervallet rummer de midterste 95 % af "
        "resultaterne. Antallet af sager og transaktioner er talt præcist; usikkerheden ligger i "
        "tiden pr. sag. Et bredt interval betyder, at tallet hviler på få eller meget "
        "forskellige sager.",
        "The figures in brackets after a saving (on the Benefit realisation page) are a 95 % "
        "band. KIT Flow recomputes the "
        "savings {replicates} times, each time on a new random draw of the cases behind the time "
        "per case (and of the comparison process's cases), and the band holds the middle 95 % "
        "of the results. The numbers of cases and transactions are counted exactly; the "
        "uncertainty lies in the time per case. A wide band means the figure rests on few or "
        "very different cases.",
    ),
    "method.fools": ("Hvad kan snyde målingen", "What can fool the measurement"),
    "method.fools_intro": (
        "Forhold i data kan trække en metode væk fra den sande gevinst. KIT Flow leder efter "
        "hvert af dem i data. Nogle korrigeres i beregningen; andre kan ikke korrigeres og "
        "markeres i stedet, så det er tydeligt, hvilke tal der skal læses med forsigtighed.",
        "Things in the data can pull a method away from the true savings. KIT Flow looks for "
        "each of them in the data. Some are corrected in the calculation; others cannot be "
        "corrected and are flagged instead, so it is clear which figures to read with care.",
    ),
    "method.col.cause": ("Forhold", "What"),
    "method.col.explain": ("Hvad det betyder", "What it means"),
    "method.col.fools": ("Kan snyde", "Can fool"),
    "method.col.action": ("Hvad KIT Flow gør", "What KIT Flow does"),
    "method.fools_none": ("ingen af metoderne", "none of the methods"),
    "method.cause.registration_rounded": ("Tid rundet op", "Time rounded up"),
    "method.cause.registration_rounded.what": (
        "Medarbejderne registrerer i hele kvarter, så en sag på 6 minutter står som 15. Tiden "
        "pr. sag i tidsregistreringen bliver for stor, og gevinsten målt der kan blive for stor "
        "eller for lille.",
        "Staff register in whole quarter hours, so a case of 6 minutes shows as 15. The time per "
        "case in the time registration is too large, and the savings measured there can come "
        "out too large or too small.",
    ),
    "method.cause.registration_rounded.action": (
        "Markeres, ikke korrigeret. KIT Flow sammenligner den registrerede tid pr. sag med "
        "behandlingstiden i ServiceNow før idriftsættelsen og viser det, når forskellen er over "
        "{gap} %, og næsten alle registreringer er hele kvarter.",
        "Flagged, not corrected. KIT Flow compares the registered time per case with the "
        "handling time in ServiceNow before the go-live and shows it when the difference is "
        "above {gap} % and nearly every entry is whole quarter hours.",
    ),
    "method.cause.registration_differs": ("Registreret tid afviger", "Registered time differs"),
    "method.cause.registration_differs.what": (
        "Den tid, der registreres pr. sag, svarer ikke til den tid, sagerne tager i ServiceNow, "
        "fx fordi noget af arbejdet registreres et andet sted eller slet ikke.",
        "The time registered per case does not match the time the cases take in ServiceNow, "
        "for instance because some of the work is registered elsewhere or not at all.",
    ),
    "method.cause.registration_differs.action": (
        "Markeres, ikke korrigeret, når forskellen er over {gap} %: tidsregistreringens tal skal "
        "da læses med forsigtighed.",
        "Flagged, not corrected, when the difference is above {gap} %: the time registration's "
        "figure should then be read with care.",
    ),
    "method.cause.registration_floor": ("Mange sager på ét kvarter", "Many cases at one quarter"),
    "method.cause.registration_floor.what": (
        "Tidsregistreringen kan ikke vise mindre end et kvarter. Står de fleste sager før "
        "idriftsættelsen til præcis et kvarter, tog de sandsynligvis kortere tid, og den tid, "
        "løsningen sparer pr. sag, overvurderes.",
        "The time registration cannot show less than a quarter hour. When most cases before the "
        "go-live stand at exactly a quarter hour, they probably took less time, and the time the "
        "solution saves per case is overstated.",
    ),
    "method.cause.registration_floor.action": (
        "Markeres, ikke korrigeret. Nævnes, når ServiceNow ikke kan vise den reelle "
        "behandlingstid, og mindst halvdelen af sagerne før idriftsættelsen står til præcis et "
        "kvarter.",
        "Flagged, not corrected. Shown when ServiceNow cannot show the real handling time and "
        "at least half of the cases before the go-live stand at exactly a quarter hour.",
    ),
    "method.cause.registration_shift": (
        "Ændring for alt arbejde",
        "A change for all work",
    ),
    "method.cause.registration_shift.what": (
        "Noget ændrer sig for alt arbejde på samme tid, fx et nyt tidsregistreringssystem, "
        "glemte dage eller en ny arbejdsgang. Så stiger eller falder timerne, uden at "
        "løsningen har noget med det at gøre.",
        "Something changes for all work at the same time, such as a new time registration "
        "system, forgotten days or a new way of working. The hours then rise or fall without "
        "the solution having anything to do with it.",
    ),
    "method.cause.registration_shift.action": (
        "Korrigeres. En sammenligningsproces, der aldrig automatiseres, viser ændringen for alt "
        "arbejde, og løsningens timer justeres med den, før gevinsten beregnes. Nævnes, når "
        "ændringen er over {shift} %.",
        "Corrected. A comparison process that is never automated shows the change for all "
        "work, and the solution's hours are adjusted by it before the savings are computed. "
        "Shown when the change is above {shift} %.",
    ),
    "method.cause.no_comparison": ("Ingen sammenligningsproces", "No comparison process"),
    "method.cause.no_comparison.what": (
        "Uden en proces at sammenligne med kan en ændring, der rammer alt arbejde, ikke skilles "
        "fra løsningens effekt.",
        "Without a process to compare with, a change that hits all work cannot be told apart "
        "from the solution's effect.",
    ),
    "method.cause.no_comparison.action": (
        "Markeres, ikke korrigeret. Det afhjælpes ved at udpege en sammenligningsproces i "
        "løsningens bindingsfil.",
        "Flagged, not corrected. The remedy is to name a comparison process in the solution's "
        "binding file.",
    ),
    "method.cause.unregistered_cases": ("Sager uden tidsregistrering", "Cases without time"),
    "method.cause.unregistered_cases.what": (
        "Nogle sager får aldrig registreret tid. Tæller man kun de registrerede timer, ser "
        "arbejdet både før og efter mindre ud, end det er.",
        "Some cases never have time registered. Counting only the registered hours makes the "
        "work look smaller than it is, both before and after.",
    ),
    "method.cause.unregistered_cases.action": (
        "Korrigeres, når sagerne kendes fra ServiceNow: timerne skaleres op med andelen af "
        "sager, der havde registreret tid før idriftsættelsen. Ellers markeres det. Nævnes, når "
        "over {share} % af sagerne mangler tid.",
        "Corrected when the cases are known from ServiceNow: the hours are scaled up by the "
        "share of cases that had time registered before the go-live. Otherwise flagged. Shown "
        "when more than {share} % of the cases have no time.",
    ),
    "method.cause.catch_all": ("Timer på opsamlingsaktivitet", "Hours on a catch-all activity"),
    "method.cause.catch_all.what": (
        "Noget tid føres på en fælles opsamlingsaktivitet i stedet for løsningens egen, men med "
        "sagsnummeret. Ser man kun på løsningens aktivitet, mangler de timer.",
        "Some time is booked on a shared catch-all activity instead of the solution's own, but "
        "with the case number. Looking only at the solution's activity misses those hours.",
    ),
    "method.cause.catch_all.action": (
        "Korrigeres: timer med sagsnummeret tælles med, uanset aktivitet. Nævnes, når de udgør "
        "over {share} % af timerne.",
        "Corrected: hours with the case number are counted, whatever the activity. Shown when "
        "they make up more than {share} % of the hours.",
    ),
    "method.cause.demand_change": ("Efterspørgslen ændrede sig", "Demand changed"),
    "method.cause.demand_change.what": (
        "Kommer der flere eller færre sager efter idriftsættelsen, stiger eller falder timerne "
        "alene af den grund. En simpel sammenligning af timer før og efter tager det for "
        "løsningens effekt.",
        "When more or fewer cases arrive after the go-live, the hours rise or fall for that "
        "reason alone. A simple comparison of hours before and after mistakes it for the "
        "solution's effect.",
    ),
    "method.cause.demand_change.action": (
        "Korrigeres, når sagerne kan tælles: gevinsten måles pr. sag, så det samme antal sager "
        "står på begge sider. Uden sagsnumre markeres det. Nævnes ved en ændring over {change} % "
        "året efter idriftsættelsen.",
        "Corrected when the cases can be counted: the savings are measured per case, so the "
        "same number of cases stands on both sides. Without case numbers it is flagged. Shown "
        "for a change above {change} % in the year after the go-live.",
    ),
    "method.cause.partial_takeover": (
        "Robotten tager kun en del af sagerne",
        "The robot takes only part of the cases",
    ),
    "method.cause.partial_takeover.what": (
        "Robotten behandler kun en del af sagerne; resten klares stadig manuelt. Gevinsten "
        "bliver mindre end i en case, der regnede med alle sager.",
        "The robot handles only part of the cases; the rest are still done by hand. The "
        "savings are smaller than in a case that counted on all of them.",
    ),
    "method.cause.partial_takeover.action": (
        "Der tages højde for det i alle tre metoder: kun de sager, robotten faktisk tog, tæller "
        "som sparet. Nævnes, når robotten tog under {share} % af sagerne de seneste {months} "
        "måneder, fordi det forklarer en lavere gevinst end forventet.",
        "All three methods allow for it: only the cases the robot actually took count as "
        "saved. Shown when the robot took less than {share} % of the cases in the last "
        "{months} months, since it explains savings lower than expected.",
    ),
    "method.cause.costly_exceptions": ("Dyre undtagelser", "Costly exceptions"),
    "method.cause.costly_exceptions.what": (
        "Når robotten giver op på en sag, overtager en medarbejder den, og det kan tage længere "
        "tid end at have gjort sagen manuelt fra start.",
        "When the robot gives up on a case, a member of staff takes it over, which can take "
        "longer than doing the case by hand from the start.",
    ),
    "method.cause.costly_exceptions.action": (
        "Korrigeres: merprisen trækkes fra robottens gevinst. Nævnes, når en undtagelse koster "
        "mere end en manuel sag.",
        "Corrected: the extra cost is subtracted from the robot's savings. Shown when an "
        "exception costs more than a manual case.",
    ),
    "method.cause.handover_model": (
        "Overdragelser prissat ens",
        "Handovers priced alike",
    ),
    "method.cause.handover_model.what": (
        "For koordineringsarbejde uden behandlingstrin måler process mining faldet i "
        "overdragelser. Hver undgået overdragelse prissættes som en lige stor del af "
        "koordineringstiden før, selv om nogle overdragelser koster mere end andre.",
        "For coordination work without handling steps, process mining measures the fall in "
        "handovers. Each avoided handover is priced at an equal share of the coordination time "
        "before, although some handovers cost more than others.",
    ),
    "method.cause.handover_model.action": (
        "Markeres, ikke korrigeret: tallet er et skøn og bør læses som en størrelsesorden.",
        "Flagged, not corrected: the figure is an estimate and should be read as an order of "
        "magnitude.",
    ),
    "method.cause.manual_minutes_assumed": ("Manuel tid antaget", "Manual time assumed"),
    "method.cause.manual_minutes_assumed.what": (
        "Kan den manuelle tid pr. sag før idriftsættelsen ikke måles, bruges det tal, der står "
        "i bindingsfilen. Er det tal for højt eller for lavt, er gevinsten det også.",
        "When the manual time per case before the go-live cannot be measured, the figure in "
        "the binding file is used. If that figure is too high or too low, so are the savings.",
    ),
    "method.cause.manual_minutes_assumed.action": (
        "Markeres, ikke korrigeret: tallet bør erstattes af en måling, når data findes.",
        "Flagged, not corrected: the figure should be replaced by a measurement once data exist.",
    ),
    "method.cause.few_people": ("Færre end 5 personer", "Fewer than 5 people"),
    "method.cause.few_people.what": (
        "Højst fire personer har registreret tid på arbejdet i et af årene efter "
        "idriftsættelse. Et tal fra deres tidsregistrering ville beskrive deres arbejde.",
        "At most four people registered time on the work in one of the years after go-live. A "
        "figure from their time registration would describe their work.",
    ),
    "method.cause.few_people.action": (
        "Udeladt efter 5-personsreglen: tidsregistreringens estimat og dets kontroller vises "
        "ikke; kørselsdata og process mining gælder.",
        "Withheld by the 5-person rule: the time-registration estimate and its checks are not "
        "shown; robot run data and process mining stand.",
    ),
    "method.found": ("Fundet i data pr. løsning", "Found in the data per solution"),
    "method.found_intro": (
        "For hver løsning: de forhold i data til og med opgørelsesdatoen, der kan snyde "
        "målingen, om der er korrigeret for dem, og hvor metoderne er uenige.",
        "For each solution: what in the data up to the as-of date can fool the measurement, "
        "whether it is corrected for, and where the methods disagree.",
    ),
    "method.corrected": ("korrigeret", "corrected"),
    "method.not_corrected": ("ikke korrigeret", "not corrected"),
    "method.no_checks": (
        "KIT Flow har ikke fundet forhold i data, der kan snyde målingen af denne løsning.",
        "KIT Flow has found nothing in the data that can fool the measurement of this solution.",
    ),
    "method.disagreements": ("Uenighed mellem metoderne", "Where the methods disagree"),
    "method.agree": (
        "Ingen kontrolmåling afviger mere end {pct} % fra den primære metode.",
        "No cross-check differs from the primary method by more than {pct} %.",
    ),
    "report.method_notes": ("Metodenoter", "Method notes"),
    "report.method_notes.checks": (
        "Forhold i data pr. løsning, der kan snyde målingen",
        "What in each solution's data can fool the measurement",
    ),
    "report.col.solution": ("Løsning", "Solution"),
    "report.col.note": ("Note", "Note"),
    "report.col.handled": ("Håndtering", "Handling"),
    "report.method_notes.disagreement": ("uenighed mellem metoderne", "methods disagree"),
    # Ressourcestyring (resource management) and Datakilder (data sources).
    "nav.resources": ("Ressourcestyring", "Resource management"),
    "nav.sources": ("Datakilder", "Data sources"),
    "resources.title": ("Ressourcestyring", "Resource management"),
    "resources.intro": (
        "Belastning pr. serviceområde og måned: modtaget og afsluttet arbejde, åbent arbejde ved "
        "månedens udgang, gennemløbstid, overdragelser ind og ud, hvem der venter på hvem, "
        "registrerede timer pr. aktivitet og en prognose for næste kvartal. Ingen tal beskriver "
        "færre end 5 personer.",
        "Load per service area and month: work received and finished, open work at the month's "
        "end, throughput time, handovers in and out, who waits on whom, registered hours per "
        "activity and a forecast of next quarter. No figure describes fewer than 5 people.",
    ),
    "resources.log": ("Log", "Log"),
    "resources.item": ("Katalogvare", "Catalogue item"),
    "resources.item_all": ("Alle katalogvarer", "All catalogue items"),
    "resources.month": ("Måned", "Month"),
    "resources.no_logs": (
        "Der er ingen gemt log med serviceområder. Hent ServiceNow-data med 'kitflow extract "
        "servicenow'.",
        "No stored log names service areas. Fetch ServiceNow data with 'kitflow extract "
        "servicenow'.",
    ),
    "resources.error": (
        "Visningen kunne ikke laves: {error}",
        "The view could not be made: {error}",
    ),
    "resources.bad_month": (
        "Måneden {month} findes ikke i loggen; den seneste hele måned vises.",
        "The month {month} is not in the log; the latest whole month is shown.",
    ),
    "resources.nothing": (
        "Ingen måned i denne visning viser mindst 5 personer, så intet tal kan vises.",
        "No month in this view shows at least 5 people, so no figure can be shown.",
    ),
    "resources.partial": (
        "{month} er en delvis måned (loggen slutter før månedens udgang) og er udeladt.",
        "{month} is a partial month (the log ends before the month does) and is left out.",
    ),
    "resources.merged": (
        "{count} serviceområder med færre end 5 personer er slået sammen til '{other}'.",
        "{count} service areas with fewer than 5 people are merged into '{other}'.",
    ),
    "resources.months_withheld": (
        "{count} måneder for et serviceområde med færre end 5 personer er udeladt.",
        "{count} months of a service area with fewer than 5 people are left out.",
    ),
    "resources.load": ("Belastning i {month}", "Load in {month}"),
    "resources.load_chart": (
        "Modtaget arbejde pr. måned og prognose (stiplet)",
        "Work received per month and forecast (dashed)",
    ),
    "resources.col.area": ("Serviceområde", "Service area"),
    "resources.col.arrivals": ("Modtaget", "Received"),
    "resources.col.completions": ("Afsluttet", "Finished"),
    "resources.col.open": ("Åbent ved månedens udgang", "Open at month end"),
    "resources.col.throughput": ("Gennemløbstid, median (timer)", "Throughput, median (hours)"),
    "resources.col.in": ("Overdragelser ind", "Handovers in"),
    "resources.col.out": ("Overdragelser ud", "Handovers out"),
    "resources.handovers": ("Overdragelser pr. sag pr. måned", "Handovers per case per month"),
    "resources.handovers_note": (
        "Efter den måned sagen blev oprettet. En overdragelse er et skift af serviceområde.",
        "By the month the case was created. A handover is a change of service area.",
    ),
    "resources.col.month": ("Måned", "Month"),
    "resources.col.cases": ("Sager", "Cases"),
    "resources.col.handovers": ("Overdragelser", "Handovers"),
    "resources.col.per_case": ("Overdragelser pr. sag", "Handovers per case"),
    "resources.waits": ("Hvem venter på hvem", "Who waits on whom"),
    "resources.waits_note": (
        "Tiden en sag ligger i et serviceområde efter en overdragelse, efter det område der "
        "overdrog den (hele perioden).",
        "The time a case spends in a service area after a handover, by the area that handed it "
        "over (the whole period).",
    ),
    "resources.col.from": ("Overdraget fra", "Handed over by"),
    "resources.col.waiting_in": ("Venter i", "Waiting in"),
    "resources.col.visits": ("Overdragelser", "Handovers"),
    "resources.col.mean_wait": ("Gns. tid (timer)", "Mean time (hours)"),
    "resources.col.median_wait": ("Median (timer)", "Median (hours)"),
    "resources.col.total_wait": ("Samlet tid (timer)", "Total time (hours)"),
    "resources.hours": ("Registrerede timer i {month}", "Registered hours in {month}"),
    "resources.no_hours": (
        "Der er ingen tidsregistrering. Indlæs den med 'kitflow extract time'.",
        "There is no time registration. Load it with 'kitflow extract time'.",
    ),
    "resources.hours_withheld": (
        "{count} serviceområde-måneder med færre end 5 registrerende personer er udeladt; "
        "aktiviteter med færre end 5 personer er lagt sammen i 'Øvrige aktiviteter'.",
        "{count} service-area months with fewer than 5 people registering are left out; "
        "activities with fewer than 5 people are summed in 'Other activities'.",
    ),
    "resources.col.activity": ("Aktivitet", "Activity"),
    "resources.col.hours": ("Timer", "Hours"),
    "resources.other_activities": ("Øvrige aktiviteter", "Other activities"),
    "resources.other_areas": ("Øvrige serviceområder", "Other service areas"),
    "resources.forecast": ("Prognose for næste kvartal", "Forecast of next quarter"),
    "resources.forecast_note": (
        "Modtaget arbejde pr. serviceområde. Model: en lineær tendens plus et niveau pr. "
        "kalendermåned (mindst 24 måneders historik), ellers gennemsnittet af de seneste 3 "
        "måneder. Prøveberegningen forudsiger de seneste 3 kendte måneder ud fra månederne før.",
        "Work received per service area. Model: a linear trend plus one level per calendar "
        "month (at least 24 months of history), otherwise the mean of the last 3 months. The "
        "back-test predicts the last 3 known months from the months before them.",
    ),
    "resources.col.quarter": ("Næste kvartal ({months})", "Next quarter ({months})"),
    "resources.col.model": ("Model", "Model"),
    "resources.col.history": ("Måneders historik", "Months of history"),
    "resources.col.mae": ("Prøvefejl, gns. (sager/md.)", "Back-test error, mean (cases/mo.)"),
    "resources.col.mape": ("Prøvefejl (%)", "Back-test error (%)"),
    "resources.model.trend+season": ("tendens + sæson", "trend + season"),
    "resources.model.level": ("niveau", "level"),
    "resources.forecast_skipped": (
        "{count} serviceområder har færre end 12 viste måneder og får ingen prognose.",
        "{count} service areas have fewer than 12 shown months and get no forecast.",
    ),
    "sources.title": ("Datakilder", "Data sources"),
    "sources.intro": (
        "Hver kildes strømme: seneste kørsel, poster, bogmærke og friskhed, og de poster der er "
        "sat til side i karantæne, talt pr. årsag. En hentet kilde er forældet efter {fetched} "
        "dage, en eksport efter {export} dage.",
        "Each source's streams: last run, records, bookmark and freshness, and the records set "
        "aside in quarantine, counted per reason. A fetched source is stale after {fetched} "
        "days, an export after {export} days.",
    ),
    "sources.empty": (
        "Ingen kilder er hentet endnu. Kør 'kitflow extract servicenow --config FIL'.",
        "No source has been fetched yet. Run 'kitflow extract servicenow --config FILE'.",
    ),
    "sources.col.source": ("Kilde", "Source"),
    "sources.col.stream": ("Strøm", "Stream"),
    "sources.col.kind": ("Type", "Kind"),
    "sources.col.status": ("Seneste kørsel", "Last run"),
    "sources.col.finished": ("Afsluttet", "Finished"),
    "sources.col.records": ("Poster", "Records"),
    "sources.col.quarantined": ("Karantæne", "Quarantined"),
    "sources.col.bookmark": ("Bogmærke", "Bookmark"),
    "sources.col.age": ("Alder", "Age"),
    "sources.col.fresh": ("Friskhed", "Freshness"),
    "sources.col.reason": ("Årsag", "Reason"),
    "sources.kind.fetched": ("hentet", "fetched"),
    "sources.kind.export": ("eksport", "export"),
    "sources.status.finished": ("gennemført", "finished"),
    "sources.status.failed": ("fejlet", "failed"),
    "sources.status.running": ("i gang", "running"),
    "sources.status.never": ("aldrig kørt", "never run"),
    "sources.fresh": ("frisk", "fresh"),
    "sources.stale": ("forældet", "stale"),
    "sources.reasons": ("Karantæne pr. årsag", "Quarantine per reason"),
    "sources.no_reasons": ("Ingen poster er sat i karantæne.", "No record is quarantined."),
    "sources.days": ("{days} dage", "{days} days"),
    "sources.hours": ("{hours} timer", "{hours} hours"),
    "stale.banner": (
        "Forældede datakilder: {sources}. Tallene kan mangle de seneste data.",
        "Stale data sources: {sources}. The figures may lack the latest data.",
    ),
    "stale.item": ("{name} (hentet {when})", "{name} (read {when})"),
    "stale.never": ("{name} (aldrig gennemført)", "{name} (never finished)"),
}


def parse_language(value: object) -> Language:
    """The language a URL or store value asks for; Danish for anything unknown or missing."""
    text = str(value).strip().lower() if value is not None else ""
    return "en" if text == "en" else DEFAULT_LANGUAGE


def translate(key: str, language: Language, **values: object) -> str:
    """The label ``key`` in ``language``, with ``{placeholders}`` filled from ``values``."""
    try:
        danish, english = _LABELS[key]
    except KeyError:
        raise KeyError(f"no dashboard label {key!r}: add it to app/i18n.py") from None
    text = english if language == "en" else danish
    return text.format(**values) if values else text


def label_keys() -> tuple[str, ...]:
    """All known label keys (for tests that every label has both languages)."""
    return tuple(_LABELS)
