"""Build the evaluation set from the register snapshot, split before any tuning into
tests/eval/questions-tune.jsonl and tests/eval/questions-holdout.jsonl (each row also says its split).

Every gold set below is computed from the snapshot's fields (title, doel, organisatie, status,
impactassessment, juridische_basis); nothing here calls the assistant. Topic gold sets are
keyword searches over title+doel of ALL entries, narrowed by hand after reading the candidates
(the exclusions are listed next to each topic with the reason).

Usage:  .venv/bin/python tests/eval/make_questions.py [--snapshot PATH] [--out-dir DIR] [--review]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SNAPSHOT = HERE.parent.parent.parent / "shared" / "data" / "register-snapshot-2026-08-08.json"
SEED = 20260808
HOLDOUT_SHARE = 0.4
TYPES = ("topic", "org_list", "count", "lookup", "yesno", "filter", "followup", "none")
SPLITS = ("tune", "holdout")
STATUS_NL = {"in_gebruik": "In gebruik", "buiten_gebruik": "Buiten gebruik", "ontwikkeling": "In ontwikkeling"}
STATUS_EN = {"in_gebruik": "In use", "buiten_gebruik": "Out of use", "ontwikkeling": "In development"}
IA_EN = {"Ja": "Yes", "Nee": "No", "Onbekend": "Unknown"}


class Register:
    def __init__(self, path: Path):
        self.entries = json.loads(path.read_text(encoding="utf-8"))["algoritmes"]
        self.by_id = {e["id"]: e for e in self.entries}

    def _match(self, pattern: str, fields: tuple[str, ...]) -> set[str]:
        rx = re.compile(pattern, re.I)
        return {e["id"] for e in self.entries if any(rx.search(e[f] or "") for f in fields)}

    def T(self, pattern: str) -> set[str]:
        """Entries whose title matches."""
        return self._match(pattern, ("title",))

    def D(self, pattern: str) -> set[str]:
        """Entries whose goal (doel) matches."""
        return self._match(pattern, ("doel",))

    def TD(self, pattern: str) -> set[str]:
        return self._match(pattern, ("title", "doel"))

    def ANY(self, pattern: str) -> set[str]:
        """Entries where any text field matches (used to check `none` questions)."""
        return self._match(pattern, ("title", "doel", "organisatie", "juridische_basis"))

    def O(self, *names: str) -> set[str]:
        missing = [n for n in names if not any(e["organisatie"] == n for e in self.entries)]
        if missing:
            raise ValueError(f"unknown organisation(s): {missing}")
        return {e["id"] for e in self.entries if e["organisatie"] in names}

    def OP(self, pattern: str) -> set[str]:
        """All entries of every organisation whose name matches (plural kinds: 'de provincies')."""
        rx = re.compile(pattern)
        return {e["id"] for e in self.entries if rx.search(e["organisatie"])}

    def S(self, ids: set[str], status: str) -> set[str]:
        return {i for i in ids if self.by_id[i]["status"] == status}

    def IA(self, ids: set[str], value: str) -> set[str]:
        return {i for i in ids if self.by_id[i]["impactassessment"] == value}

    def orgs(self, ids: set[str]) -> set[str]:
        return {self.by_id[i]["organisatie"] for i in ids}

    def one(self, title: str, org: str | None = None) -> str:
        hits = [e["id"] for e in self.entries if e["title"] == title and (org is None or e["organisatie"] == org)]
        if len(hits) != 1:
            raise ValueError(f"{title!r} / {org!r} matches {len(hits)} entries")
        return hits[0]


class Builder:
    def __init__(self, reg: Register):
        self.reg = reg
        self.rows: list[dict] = []

    def add(self, qtype: str, lang: str, q: str, gold=(), must=(), expect=None, history=None, followup_type=None):
        if not set(must) <= set(gold):
            raise ValueError(f"must_ids outside gold_ids for {q!r}: {sorted(set(must) - set(gold))}")
        row = {
            "q": q,
            "lang": lang,
            "type": qtype,
            "history": history or [],
            # every entry of the register: said, not listed (the ids are the register's, read at evaluation)
            "gold_ids": [] if set(gold) == set(self.reg.by_id) else sorted(set(gold)),
            "must_ids": sorted(set(must)),
            "expect": expect,
        }
        if set(gold) == set(self.reg.by_id):
            row["gold_all"] = True
        if followup_type:
            row["followup_type"] = followup_type
        self.rows.append(row)
        return row


def hist(first: str) -> list[dict]:
    return [{"role": "user", "content": first}, {"role": "assistant", "content": None}]


# --------------------------------------------------------------------------------------------
# topic
# --------------------------------------------------------------------------------------------

def add_topics(b: Builder) -> None:
    r = b.reg
    t = lambda lang, q, gold, must=None: b.add("topic", lang, q, gold, must if must is not None else gold)  # noqa: E731

    solar = r.TD(r"zonnepan")
    t("nl", "Weet de gemeente of ik zonnepanellen op mijn dak heb?", solar, r.T("zonnepanelen"))

    parking = r.T(r"scanauto|parkeercontrole|parkeerhandhaving|stoepparkeren") | r.T(r"^Kentekencamerahandhaving scanauto")
    paid = parking - r.T(r"stoepparkeren")  # sidewalk parking is enforcement, not about paying
    t("en", "Does my town use a car that drives around scanning number plates to check if I paid for parking?", parking, paid)
    t("nl", "hoe controleert de gemeente of ik wel betaald heb voor parkeren", parking, paid)

    woz_objection = r.T(r"bezwa") & r.TD("WOZ")
    woz = r.T(r"WOZ") - woz_objection  # "taxatie" alone would also hit Ritax (youth justice risk taxation)
    t("nl", "Hoe bepaald de gemeente de WOZ-waarde van mijn huis? Gebeurt dat met een model?", woz)
    t("en", "Is the WOZ value of my house calculated by a computer model?", woz)
    t("nl", "Ik heb bezwaar gemaakt tegen mijn WOZ-beschikking. Wordt zo'n bezwaarschrift door software verwerkt?", woz_objection)

    # website/phone chatbots for the public; internal assistants (PolitieGPT, ChatAmsterdam, GovChat,
    # PZH-Assist, KiM Explorer, Loki, Rowiki, JAI, NCSC KCC) are not in scope.
    chat = r.T(r"chatbot|virtuele (gemeente )?assistent|voicebot|IJsselassist") - r.T(
        r"Rowiki|JAI|PolitieGPT"
    )
    chat -= r.T(r"^KCC \(Klant Contact Centrum\)$")
    chat_central = r.T(r"chatbot|virtuele (gemeente )?assistent") - r.T(r"Rowiki|JAI|Woo chatbot")
    # public-facing assistants whose title does not say chatbot (Mai answers residents, ChapterChat explains
    # a regulation to citizens) are relevant but not central
    chat |= r.T(r"^Mai \(Montferland AI\)$|^ChapterChat")
    t("nl", "Heeft mijn gemeente een chatbot op de website die vragen beantwoord?", chat, chat_central)
    t("en", "which government bodies have a virtual assistent or chatbot for the public", chat, chat_central)

    read_aloud = r.T(r"voorlees|readspeaker|leeshulp")
    t("en", "Can the council website read the text out loud for me? I have trouble raeding.", read_aloud)
    t("nl", "Ik ben slechtziend, kan de website van de gemeente teksten voorlezen?", read_aloud)

    face = (r.TD(r"gezichtsvergelijk|gezichtsherkenn|gezichts- en pasfoto") | r.T(r"^Oribi") | r.T(r"^Documentscanners")) - r.T(
        r"drone|Self Service Passport"
    )
    t("nl", "Gebruikt de gemeente gezichtsherkenning als ik aan de balie een paspoort aanvraag?", face,
      r.T(r"gezichtsvergelijk") & face)
    t("en", "Does the town hall compare my face with my ID photo by computer when I pick up my passport?", face,
      r.T(r"gezichtsvergelijk") & face)

    mor_text = r.D(r"Als er op straat of in een park iets gemaakt of opgeruimd")
    mor = (r.T(r"melding(en)? openbare ruimte|Fixi|BuitenBeter|^Signalen") | mor_text) - r.T(r"^Anoniem maken")
    t("nl", "Ik meld een kappotte lantaarnpaal via de app van de gemeente. Wordt mijn melding door een algoritme ingedeeld?", mor)
    t("en", "When I report a broken streetlight or litter to the council, does an algorithm sort my report?", mor)

    early = r.T(r"vroeg ?signal|vroeg eropaf|vroegtijdig ontvangen|RIS-matching|Eerste Hulp bij Geldzaken") - r.T("WGS1")
    t("nl", "Krijgt de gemeente een seintje als ik mijn huur of energierekening niet betaal?", early)
    t("en", "early warning for people getting into debt - which municipalities do this with an algorithm?", early)

    copilot = r.T(r"copilot") - r.T(r"github")
    t("en", "Which goverment organisations use Microsoft Copilot?", copilot)
    t("nl", "wie gebruiken er allemaal copilot van microsoft", copilot)

    # website translation tools; Readspeaker entries whose goal says it can also translate are relevant
    # but not central; DeepL Pro 67781212 translates "diverse stukken" (not the website), so not central.
    translate = r.T(r"weglot|vertaling|deepl") | (r.T(r"readspeaker|voorlees") & r.D(r"voorlezen(,| en) vertalen"))
    t("nl", "Kan ik de gemeentelijke website automatisch laten vertalen naar het Engels?", translate,
      r.T(r"weglot|vertaling|deepl") - {"67781212"})

    mail = r.T(r"zivver|veilig (e-)?mail|beveiligd mail|beveiligen e-mail|e-mail beveiliging|cryptshare|smartlockr")
    t("en", "What do municipalities use to send emails securely? Is there an algorithm that checks the recipient?", mail)
    t("nl", "Welke software gebruiken gemeenten voor veilig mailen?", mail)

    heat = r.T(r"hittestress|klimaatadapt")
    t("nl", "Wordt er met een model gekeken waar het in de stad te heet wordt tijdens een hittegolf?", heat, r.T("hittestress"))

    bins = r.T(r"papiercontainers|afvalcontainers|afvalinzameling|inzamelen afval|Mr\. Fill")
    t("nl", "Hoe weet de gemeete wanneer de ondergrondse container vol is en geleegd moet worden?", bins)
    litter = r.T(r"straatafval|Objectdetectie Afval|bijplaatsing|Vormherkenning openbare ruimte|Objectherkenning Openbare Ruimte")
    t("en", "Are there cameras that automatically spot rubbish dumped next to bins?", litter,
      r.T(r"straatafval|Objectdetectie Afval|bijplaatsing"))



def add_topics_social(b: Builder) -> None:
    """Topics, continued: justice, social security, environment, traffic, tax."""
    r = b.reg
    t = lambda lang, q, gold, must=None: b.add("topic", lang, q, gold, must if must is not None else gold)  # noqa: E731

    recid = r.T(r"OxRec|^SSA \(")
    t("nl", "Hoe schat de reclassering in of iemand opnieuw in de fout gaat?", recid, r.T("OxRec"))
    t("en", "risk assesment tools for reoffending used by probation services", recid, r.T("OxRec"))
    scil = r.T(r"^SCIL")
    t("nl", "Wordt er getest of iemand een licht verstandelijke beperking heeft, bijvoorbeeld bij Halt of de reclassering?", scil)

    t("nl", "Hoe worden leerplichtambtenaren over de scholen verdeeld?", r.T("Leerplicht"))
    t("en", "Is there a model that forecasts how much youth care a municipality will need?", r.T(r"Prognosemodel Jeugdzorg"))

    aerius = r.TD(r"AERIUS")
    t("en", "Which tool is used to calculate nitrogen deposition for permits?", aerius)

    noise = r.T(r"geluidsherkenning|geluidsensor|geluidsmeting|geluidsoverlast|Geluidsmodel|Geomilieu|omgevingslawaai")
    t("nl", "Meet de gemeente geluidsoverlats met sensoren of een rekenmodel?", noise,
      r.T(r"geluidsherkenning|geluidsensor|geluidsmeting|geluidsoverlast"))
    t("en", "noise pollution measuring algorithms", noise, r.T(r"geluidsherkenning|geluidsensor|geluidsmeting|geluidsoverlast"))

    t("nl", "Is er een algoritme voor luchtkwaliteit?", r.T(r"luchtkwaliteit"))
    t("nl", "Ik wil een boom kappen in mijn tuin, gebruikt de gemeente daar een algoritme voor?", r.T(r"boomkap"))
    t("en", "Do water boards use AI to detect cracks in dikes?", r.T(r"scheurdetectie"))
    ground = r.T(r"grondwater")
    t("nl", "grondwaterstand bepalen met een algoritme, wie doet dat?", ground)
    t("en", "Are drones with cameras and AI used to find people?", r.T(r"drone"))
    body = r.T(r"bodycam")
    t("nl", "Dragen boa's bodycams en wat gebeurt er met die beelden?", body)
    t("en", "slippery roads in winter - is there a system for reporting ice?", r.T(r"gladheid|winter controle"))
    t("nl", "Worden rioolgemalen of het riool met data in de gaten gehouden?", r.T(r"riool"))

    meetings = r.T(r"notuleren|verslagen van raadsvergaderingen|Amberscript|ondertiteling raadsvergaderingen")
    t("en", "Are city council meetings transcibed or subtitled automaticaly?", meetings | r.T(r"NotuBiz Videosearch"), meetings)
    handwriting = r.T(r"Transkribus|Loghi")
    t("nl", "Oude handgeschreven archiefstukken automatisch leesbaar maken, welke algoritmes zijn daarvoor?", handwriting)

    jobs = r.T(r"vacature|werk matchen|matching tool") | r.T("^Kansrijke Koppeling")
    t("en", "Does the municipality use an algorithm to match unemployed people with job vacancies?", jobs,
      r.T(r"vacature"))
    t("nl", "Hoe wordt bepaald waar iemand zijn werkstraf moet doen?", r.T(r"werkstraf"))
    t("nl", "Controleert de gemeente of ik studiefinanciering krijg terwijl ik een uitkering heb?",
      r.T(r"Signaal Studiefinanciering|Rechtmatigheid Studietoeslag"), r.T("Signaal Studiefinanciering"))

    elections = r.T(r"stembureau|kiesgerechtigd|stemgerechtigd")
    t("en", "algorithms used for elections, like planning polling stations or checking who may vote", elections)
    t("nl", "Wat doen overheden met algoritmes tegen ondermijning?", r.T(r"ondermijning"))

    zones_central = r.T(r"milieuzone|zero.?emissie|autoluw")
    # Amsterdam's generic number-plate enforcement covers the milieuzones; Leiden's camera supervision
    # covers a zero-emission zone: relevant, titles do not say so
    zones = zones_central | {r.one("Geautomatiseerde handhaving op basis van kenteken"), r.one("Cameratoezicht verkeersmaatregelen")}
    t("nl", "Wordt ik geflitst als ik met mijn oude diesel de milieuzone inrij?", zones, zones_central)
    t("en", "number plate cameras enforcing low emission zones", zones, zones_central)

    t("nl", "asbest sloopmelding algoritme", r.T(r"asbest"))
    wmo = r.T(r"wmo")
    t("nl", "Gebruikt de gemeente een algoritme bij de Wmo, bijvoorbeeld voor huishoudelijke hulp?", wmo)
    t("en", "Does the government check the quality of the fingerprint in my passport with software?", r.T(r"vingerafdruk"))
    t("en", "How is childcare allowance calculated?", r.T(r"Kinderopvangtoeslag"))
    # WW benefit itself; the employers' premium differentiation (PDWW) is not about a person's benefit
    ww = (r.TD(r"\bWW\b") & r.O("Uitvoeringsinstituut Werknemersverzekeringen")) | r.T(r"Verwijtbare Werkloosheid")
    t("nl", "Wordt mijn WW-uitkering door een algoritme beoordeeld bij het UWV?", ww)
    aow = r.T(r"AOW")
    t("nl", "aow aanvragen bij de svb, zit daar een algoritme achter?", aow, aow & r.O("Sociale Verzekeringsbank"))

    laa = r.T(r"Adreskwaliteit")
    t("nl", "Hoe spoort de overheid op of er te veel mensen op één adres ingeschreven staan?", laa)
    t("en", "How do municipalities detect wrong addresses in the population register (BRP)?", laa | r.T(r"Adressen Op Orde"), laa)
    moves = r.T(r"verhuizing|verhuisaangift|Module Inzicht")
    t("en", "I registered my move online. Is my change of address checked automatically?", moves)

    anon = (r.T(r"anonimis|anonymis|anoniem maken|datamask|octobox|lakken|censura")) - r.T(r"bodycam")
    t("nl", "Hoe worden persoonsgegevens zwartgelakt in documenten die gemeenten openbaar maken na een Woo-verzoek?", anon)
    t("en", "software that redacts personal data in documents before publication", anon)

    t("en", "Can my municipal taxes be waived automatically if I have a low income?", r.T(r"kwijtschelding"))
    lights = r.T(r"verkeerslicht|VRI\b|VRI'|VRI`|VRI\)|verkeersregel|Verkeers ?Regel|geregelde kruispunten|doorstroming fietsverkeer")
    t("nl", "Hoe werken slimme verkeerslichten die voorang geven aan fietsers?", lights)
    t("en", "smart traffic lights iVRI", lights)
    leges = r.T(r"leges")
    t("nl", "Hoe worden de leges voor mijn omgevingsvergunning berekend?", leges)
    crowd = r.T(r"drukte|crowd|Public Eye")
    t("en", "Does the city count how busy it is in the streets with cameras?", crowd,
      r.T(r"Druktebeeld|Druktemeting|Crowd monitoring|Public Eye"))
    t("nl", "Het KNMI en de weersverwachting, welke modellen staan in het register?", r.T(r"weersverwachting|klimaatscenario") | r.O("Koninklijk Nederlands Meteorologisch Instituut"))
    uht = r.T(r"UHT|gedupeerde|KOT-regeling|kindregeling")
    t("nl", "Ik ben gedupeerd van de toeslagen affaire. Welke algoritmes gebruikt de hersteloperatie?", uht)
    t("en", "My passport photo got rejected. Is a computer checking passport photos?", r.T(r"pasfoto"))
    t("nl", "Bepaalt een algoritme de maximale huurprijs van mijn woning?", r.T(r"Huurprijscalculator"))
    t("en", "Is AI used to check how much damage the earthquakes in Groningen caused?", r.O("Instituut Mijnbouwschade Groningen"),
      r.TD(r"aardbeving|Eerder behandelde schades"))
    t("nl", "vuurwerk algoritmes", r.TD(r"vuurwerk"))
    t("en", "How are bicycles that are left too long in bike racks detected?", r.T(r"weesfiets|HBF systeem"))
    t("nl", "Wordt er met een algoritme gecontroleerd of de horeca zich aan de drank- en horecawet houdt?", r.T(r"horecawet"))
    t("nl", "Welke algoritmes zijn er voor de grachten en het vaarverkeer in Amsterdam?", r.T(r"Digitale gracht"))
    t("en", "Does the tax office use algorithms to detect VAT carousel fraud?", r.T(r"Carrouselfraude"))
    t("nl", "Zijn er algoritmes die telefoons in de auto opsporen, zoals een camera die ziet of je appt achter het stuur?", r.T(r"MONOcam"))
    customs_food = r.O("Douane") & r.T(r"vuurwerk|fytosanitair|levensmiddelen|groenten en fruit")
    # organic products and animal products are food too, but less obviously what is asked
    t("en", "Do customs use risk models to check imports of fireworks, plants or food?",
      customs_food | (r.O("Douane") & r.T(r"biologische wetgeving|veterinaire producten")), customs_food)
    t("nl", "Welke algoritmes helpen rechercheurs bij het doorzoeken van inbeslaggenomen telefoons en cold cases?",
      r.T(r"Hansken|cold cases"))
    t("en", "Is there an algorithm that checks whether heat network (warmtenet) prices are fair?", r.T(r"Warmtenet"))


# --------------------------------------------------------------------------------------------
# org_list / count / filter
# --------------------------------------------------------------------------------------------

WATER_BOARDS = r"^(Waterschap|Hoogheemraadschap|Wetterskip|HDSR Hoogheemraadschap)"
PROVINCES = r"^Provincie "
SAFETY_REGIONS = r"^Veiligheids(regio| en Gezondheidsregio)|^Veiligheids- en Gezondheidsregio"
ENV_SERVICES = r"^(Omgevingsdienst|DCMR Milieudienst|RUD |Regionale uitvoeringsdienst|Fryske Utfieringstsjinst)"
MINISTRIES = r"^Ministerie van "
PROBATION = r"^(Reclassering Nederland|Stichting Leger des Heils Jeugdbescherming & Reclassering|Stichting Verslavingsreclassering GGZ)$"


def add_org_lists(b: Builder) -> None:
    r = b.reg
    o = lambda lang, q, gold: b.add("org_list", lang, q, gold, gold)  # noqa: E731
    o("nl", "Welke algoritmes heeft de gemeente Amsterdm?", r.O("Gemeente Amsterdam"))
    o("en", "What algorithms does the Dutch tax authority (Belastindienst) use?", r.O("Belastingdienst"))
    o("nl", "Heeft de Douanne algoritmes in het register staan?", r.O("Douane"))
    o("nl", "wat staat er van utrecht in het register (de gemeente)", r.O("Gemeente Utrecht"))
    o("en", "Show me the algorithms of The Hague municipality", r.O("Gemeente Den Haag"))
    o("nl", "Welke algoritmes gebruikt Rotterdm?", r.O("Gemeente Rotterdam"))
    o("en", "Which algorithms does RvIG have?", r.O("Rijksdienst voor Identiteitsgegevens"))
    o("nl", "Wat heeft de politie allemaal aan algoritmes geregistreerd?", r.O("Politie"))
    o("en", "list the ACM's algorithms", r.O("Autoriteit Consument en Markt"))
    o("nl", "Welke algoritmes heeft RVO?", r.O("Rijksdienst voor Ondernemend Nederland"))
    o("nl", "Welke algoritmes heeft de Provincie Groningen?", r.O("Provincie Groningen"))
    o("en", "What's in the register for the city of Groningen (the municipality, not the province)?", r.O("Gemeente Groningen"))
    o("nl", "Heeft het UWV algoritmes?", r.O("Uitvoeringsinstituut Werknemersverzekeringen"))
    o("en", "Which algorithms does Dienst Toeslagen use?", r.O("Dienst Toeslagen"))
    o("nl", "welke algoritmes heeft het ministerie van financien", r.O("Ministerie van Financiën"))
    o("en", "Does the SVB have any algorithms registered?", r.O("Sociale Verzekeringsbank"))
    o("nl", "Algoritmes van DUO?", r.O("Dienst Uitvoering Onderwijs"))
    o("en", "What does the Netherlands Forensic Institute have in the algorithm register?", r.O("Nederlands Forensisch Instituut"))
    o("nl", "Welke algoritmes heeft de Raad voor de Kinderbescherming?", r.O("Raad voor de Kinderbescherming"))
    o("nl", "Wat gebruikt het Kadaster aan algoritmes?", r.O("Kadaster"))
    o("en", "algorithms of the municipality of Eindhoven", r.O("Gemeente Eindhoven"))
    o("nl", "Welke algoritmes heeft gemeente Nijmegen geregistreerd?", r.O("Gemeente Nijmegen"))
    o("nl", "Heeft de gemeente Tilburg algoritmes in het register?", r.O("Gemeente Tilburg"))
    o("en", "Which algorithms does the Province of South Holand use?", r.O("Provincie Zuid-Holland"))
    o("nl", "Wat staat er in het register van de gemeente Almere?", r.O("Gemeente Almere"))
    o("nl", "welke algorimtes heeft arnhem", r.O("Gemeente Arnhem"))
    o("en", "What algorithms does Rijkswaterstaat use?", r.O("Rijkswaterstaat"))
    o("nl", "Welke algoritmes hebben de waterschappen?", r.OP(WATER_BOARDS))
    o("en", "Which algorithms do the provinces use?", r.OP(PROVINCES))
    o("nl", "Wat hebben de veiligheidsregio's in het algoritmeregister staan?", r.OP(SAFETY_REGIONS))
    o("en", "Show all algorithms registered by the environmental services (omgevingsdiensten)", r.OP(ENV_SERVICES))
    o("nl", "Welke algoritmes gebruiken de drie reclasseringsorganisaties?", r.OP(PROBATION))
    o("en", "algorithms of the KNMI", r.O("Koninklijk Nederlands Meteorologisch Instituut"))
    o("nl", "Heeft de IND algoritmes?", r.O("IND"))
    o("en", "Does the Dutch Data Protection Authority (Autoriteit Persoonsgegevens) use algorithms itself?", r.O("Autoriteit Persoonsgegevens"))
    o("nl", "Welke algoritmes heeft de gemeente Den Bosch?", r.O("Gemeente 's-Hertogenbosch"))
    o("nl", "Wat heeft gemeente Leewarden in het register gezet?", r.O("Gemeente Leeuwarden"))
    o("en", "What algorithms does the Inlichtingenbureau (Stichting Bureau Informatiediensten Nederland) offer?",
      r.O("Stichting Bureau Informatiediensten Nederland"))
    o("nl", "Welke algoritmes heeft het CJIB?", r.O("Centraal Justitieel Incassobureau"))
    o("en", "Which algorithms does the Ministry of Defence have?", r.O("Ministerie van Defensie"))
    o("nl", "Welke algoritmes heeft de gemeente Haarlem", r.O("Gemeente Haarlem"))
    o("en", "Which algorithms has the Labour inspectorate, Nederlandse Arbeidsinspectie, registered?", r.O("Nederlandse Arbeidsinspectie"))
    o("nl", "algoritmes van Waterschap Limburg", r.O("Waterschap Limburg"))
    o("en", "What does the municipality of Apeldoorn have in the register?", r.O("Gemeente Apeldoorn"))
    o("nl", "Welke algoritmes heeft het Instuut Mijnbouwschade Groningen?", r.O("Instituut Mijnbouwschade Groningen"))
    o("nl", "Welke algoritmes staan er van alle ministeries in het register?", r.OP(MINISTRIES))


def add_counts(b: Builder) -> None:
    r = b.reg
    c = lambda lang, q, gold: b.add("count", lang, q, gold, (), str(len(gold)))  # noqa: E731
    c("nl", "Hoeveel algoritmes heeft de gemeente Amsterdam geregistreerd?", r.O("Gemeente Amsterdam"))
    c("en", "How many algorithms does the Belastingdienst have in the register?", r.O("Belastingdienst"))
    c("nl", "Hoevel algoritmes heeft de Douane?", r.O("Douane"))
    c("en", "how many algorithms has utrecht municipality registered", r.O("Gemeente Utrecht"))
    c("nl", "Hoeveel algoritmes staan er op naam van de Politie?", r.O("Politie"))
    c("en", "How many algorithms does the city of Roterdam have?", r.O("Gemeente Rotterdam"))
    c("nl", "Hoeveel algoritmes heeft de Provincie Limburg?", r.O("Provincie Limburg"))
    c("nl", "hoeveel algoritmes heeft gemeente oss", r.O("Gemeente Oss"))
    c("en", "How many algorithms are registered by the UWV?", r.O("Uitvoeringsinstituut Werknemersverzekeringen"))
    c("nl", "Hoeveel algoritmes in het register zijn buiten gebruik?", {e["id"] for e in r.entries if e["status"] == "buiten_gebruik"})
    c("en", "How many algorithms in the register are still in development?", {e["id"] for e in r.entries if e["status"] == "ontwikkeling"})
    c("nl", "Bij hoeveel algoritmes staat expliciet 'Nee' bij impact assessment?", {e["id"] for e in r.entries if e["impactassessment"] == "Nee"})
    c("nl", "Hoeveel algoritmes van de Belastingdienst hebben een impact assessment (Ja)?", r.IA(r.O("Belastingdienst"), "Ja"))
    c("en", "How many of the Douane's algorithms have an impact assessment?", r.IA(r.O("Douane"), "Ja"))
    c("nl", "Hoeveel algoritmes van de gemeente Den Haag zijn buiten gebruik?", r.S(r.O("Gemeente Den Haag"), "buiten_gebruik"))
    c("en", "How many Amsterdam algorithms are in development?", r.S(r.O("Gemeente Amsterdam"), "ontwikkeling"))
    c("nl", "Hoeveel algoritmes hebben de waterschapen samen?", r.OP(WATER_BOARDS))
    c("en", "How many algorithms do the Dutch provinces have in total?", r.OP(PROVINCES))
    c("nl", "Hoeveel algoritmes hebben de ministeries samen geregistreerd?", r.OP(MINISTRIES))
    c("nl", "Hoeveel registraties hebben precies de titel 'Zivver'?", r.T(r"^Zivver$"))
    c("en", "How many entries are called 'Anonimiseren'?", r.T(r"^Anonimiseren$"))
    c("nl", "Hoeveel gemeenten hebben 'iBurgerzaken e-diensten' geregistreerd?", r.T(r"^iBurgerzaken e-diensten$"))["count_of"] = "organisations"
    c("en", "How many entries have exactly the title 'Readspeaker' (capitals don't matter)?", r.T(r"^Readspeaker$"))
    c("nl", "Hoeveel organisaties hebben 'Virtuele gemeente assistent Gem' in het register?", r.T(r"^Virtuele gemeente assistent Gem$"))["count_of"] = "organisations"
    c("nl", "Hoeveel algoritmes heeft het Rijksdienst voor Identiteitsgegevens?", r.O("Rijksdienst voor Identiteitsgegevens"))
    c("en", "how many algoritms does the ACM have", r.O("Autoriteit Consument en Markt"))
    c("nl", "Hoeveel algoritmes van de Politie zijn in ontwikkeling?", r.S(r.O("Politie"), "ontwikkeling"))
    c("nl", "Hoeveel algoritmes van de gemeente Utrecht hebben een impact assessment?", r.IA(r.O("Gemeente Utrecht"), "Ja"))
    c("en", "How many algorithms does the province of Groningen have?", r.O("Provincie Groningen"))
    c("nl", "Hoeveel algoritmes heeft Dienst Toeslagen in gebruik?", r.S(r.O("Dienst Toeslagen"), "in_gebruik"))
    c("en", "How many algorithms are registered in total?", {e["id"] for e in r.entries})
    c("nl", "Hoeveel algoritmes hebben de veiligheidsregio's samen?", r.OP(SAFETY_REGIONS))
    c("nl", "Hoeveel keer is 'Meldingen openbare ruimte' (precies die titel, hoofdletters maken niet uit) geregistreerd?", r.T(r"^Meldingen openbare ruimte$"))
    c("en", "How many algorithms of the municipality of Arnhem are out of use?", r.S(r.O("Gemeente Arnhem"), "buiten_gebruik"))
    c("nl", "Hoeveel algoritmes heeft Gemeente Asten?", r.O("Gemeente Asten"))
    c("en", "How many Customs (Douane) algorithms are in use?", r.S(r.O("Douane"), "in_gebruik"))


def add_filters(b: Builder) -> None:
    r = b.reg
    f = lambda lang, q, gold: b.add("filter", lang, q, gold, gold)  # noqa: E731
    f("nl", "Welke algoritmes van de gemeente Utrecht zijn buiten gebruik?", r.S(r.O("Gemeente Utrecht"), "buiten_gebruik"))
    f("en", "Which Amsterdam algorithms are still in development?", r.S(r.O("Gemeente Amsterdam"), "ontwikkeling"))
    f("nl", "Welke algoritmes van de Politie zijn in ontwikkeling?", r.S(r.O("Politie"), "ontwikkeling"))
    f("en", "Which algorithms of the Belastingdienst have no impact assessment (explicitly 'Nee')?", r.IA(r.O("Belastingdienst"), "Nee"))
    f("nl", "Welke algoritmes van Den Haag zijn niet meer in gebruk?", r.S(r.O("Gemeente Den Haag"), "buiten_gebruik"))
    f("nl", "Welke algoritmes van de gemeente Rotterdam hebben een impact assessment?", r.IA(r.O("Gemeente Rotterdam"), "Ja"))
    f("en", "Which RvIG algorithms have had an impact assessment?", r.IA(r.O("Rijksdienst voor Identiteitsgegevens"), "Ja"))
    f("nl", "welke algoritmes van de provincie groningen zijn nog in ontwikkeling", r.S(r.O("Provincie Groningen"), "ontwikkeling"))
    f("en", "Which algorithms of the Province of Zuid-Holland have an impact assessment?", r.IA(r.O("Provincie Zuid-Holland"), "Ja"))
    f("nl", "Welke algoritmes van de gemeente Arnhem zijn buiten gebruik?", r.S(r.O("Gemeente Arnhem"), "buiten_gebruik"))
    f("en", "Which Duoane algorithms are out of use?", r.S(r.O("Douane"), "buiten_gebruik"))
    f("nl", "Welke algoritmes van het UWV hebben een impact assessment gehad?", r.IA(r.O("Uitvoeringsinstituut Werknemersverzekeringen"), "Ja"))
    f("en", "Which of the Politie's algorithms have an impact assessment?", r.IA(r.O("Politie"), "Ja"))
    f("nl", "Welke algoritmes van de gemeente Almere zijn in ontwikkeling?", r.S(r.O("Gemeente Almere"), "ontwikkeling"))
    f("en", "Which algorithms of the waterboards are in development?", r.S(r.OP(WATER_BOARDS), "ontwikkeling"))
    f("nl", "Welke algoritmes van de ACM hebben een impact assessment?", r.IA(r.O("Autoriteit Consument en Markt"), "Ja"))
    f("nl", "Welke algoritmes van de provincies zijn buiten gebruik?", r.S(r.OP(PROVINCES), "buiten_gebruik"))
    f("en", "Which algorithms of the municipality of Groningen have an impact assessment?", r.IA(r.O("Gemeente Groningen"), "Ja"))
    f("nl", "Welke algoritmes van Dienst Toeslagen hebben een impact assessment?", r.IA(r.O("Dienst Toeslagen"), "Ja"))
    f("en", "Which RVO algorithms are no longer in use?", r.S(r.O("Rijksdienst voor Ondernemend Nederland"), "buiten_gebruik"))
    f("nl", "Welke algoritmes van de gemeente Tilburg hebben een impact assesment?", r.IA(r.O("Gemeente Tilburg"), "Ja"))
    f("en", "Which algorithms of the ministries are still in development?", r.S(r.OP(MINISTRIES), "ontwikkeling"))
    f("nl", "Welke algoritmes van de gemeente Amsterdam zijn buiten gebruik?", r.S(r.O("Gemeente Amsterdam"), "buiten_gebruik"))
    f("nl", "Welke algoritmes van de Douane hebben een impact assessment?", r.IA(r.O("Douane"), "Ja"))
    f("en", "Which algorithms of Gemeente Oss have an impact assessment?", r.IA(r.O("Gemeente Oss"), "Ja"))


# --------------------------------------------------------------------------------------------
# lookup / yesno
# --------------------------------------------------------------------------------------------

def status_form(e: dict, lang: str) -> str:
    return (STATUS_NL if lang == "nl" else STATUS_EN)[e["status"]]


def ia_form(e: dict, lang: str) -> str:
    return e["impactassessment"] if lang == "nl" else IA_EN[e["impactassessment"]]


LOOKUPS = [
    # (title, organisation or None, kind, lang, question, expected substring for jb/doel/org kinds)
    ("MONOcam", None, "jb", "nl", "Op welke wet is MONOcam van de politie gebasseerd?", "artikel 3 van de Politiewet"),
    ("Documentonderzoek", "IND", "jb", "en", "What is the legal basis of the IND's Documentonderzoek algorithm?", "artikel 14, 20, 28 en 45a van de Vreemdelingenwet"),
    ("Langzaam Verkeer Monitoringsysteem Amsterdam", None, "jb", "nl", "Wat is de wettelijke grondslag van het Langzaam Verkeer Monitoringsysteem in Amsterdam?", "artikel 2 van de Wegenverkeerswet 1994"),
    ("Inkomensverklaring", None, "jb", "nl", "Op welke wetsartikelen steunt de Inkomensverklaring van de Raad voor Rechtsbijstand?", "artikel 7b Wet op Rechtsbijstand"),
    ("Ongevalrisico", None, "jb", "en", "Which law is the legal basis for the Ongevalrisico model of Provincie Limburg?", "Besluit Verkeersveiligheid Weginfrastructuur"),
    ("Opsporen dempingen in watergangen", None, "jb", "nl", "Wat is de juridische basis van het opsporen van dempingen in watergangen door Wetterskip Fryslân?", "Waterschapsverordening"),
    ("Marktmacht- en concentratieindicatoren", None, "jb", "en", "What is the legal basis for the ACM's market power and concentration indicators?", "De mededingingswet"),
    ("Dashboard overzicht demonstraties", None, "jb", "nl", "Welke wet geldt voor het dashboard overzicht demonstraties van Amsterdam?", "Wet openbare manifestaties"),
    ("Ontdubbelingscript", None, "jb", "en", "legal basis of the Ontdubbelingscript of the Ministry of Finance?", "Wet Open Overheid"),
    ("Subsidie-buddy", None, "jb", "nl", "Onder welke regeling valt de Subsidie-buddy van RVO?", "Regeling Europese EZ-, LVVN- en KGG-subsidies 2021"),
    ("KOT-regeling", None, "jb", "en", "Which law is the KOT-regeling algorithm of Dienst Toeslagen based on?", "Wet hersteloperatie toeslagen"),
    ("NACE SBI Classifier", None, "jb", "nl", "Op welke artikelen is de NACE SBI Classifier van de KvK gebaseerd?", "Artikel 19 Handelsregisterwet 2007"),
    ("Vroegsignalering schulden", "Gemeente Almelo", "jb", "nl", "Waarom mag Almelo aan vroegsignalering van schulden doen, wat is de grondslag?", "Wet gemeentelijke schuldhulpverlening (Wgs)"),
    ("Verkeersmodel bereikbaarheidsregie", None, "jb", "en", "What is the legal basis of Den Haag's Verkeersmodel bereikbaarheidsregie?", "wettelijke taak van de wegbeheerder"),
    ("Aardgasvrij", None, "jb", "nl", "Wat staat er als juridische basis bij het algoritme Aardgasvrij van Rotterdam?", "Paris Climate Agreement 2050 aardgasvrij"),
    ("Analyse grootschalige vestigingen", None, "jb", "en", "Which rule is behind Noord-Brabant's analysis of large-scale logistics sites?", "Artikel 5.56 van de omgevingsverordening"),
    ("Hansken", None, "doel", "en", "What does Hanskin of the NFI do?", "digitale sporen, zoals bestanden, plaatjes en chat berichten"),
    ("Zoekapplicatie cold cases", None, "doel", "nl", "Hoe werkt de zoekapplicatie voor cold cases van de politie?", "zoekt het naar de betekenis van woorden"),
    ("Rapportage-assistent Ken je klant", None, "doel", "nl", "Hoeveel tijd wil Amersfoort besparen met de Rapportage-assistent Ken je klant?", "tijdsbesparing van 50 tot 75% beoogd"),
    ("Protective Monitoring", None, "doel", "en", "What does the police system Protective Monitoring check?", "de logbestanden van de politiesystemen"),
    ("Woo chatbot", None, "doel", "nl", "Waar wordt de Woo chatbot van Coevorden nu gebruikt?", "voor onbepaalde tijd gebruikt op de gemeentelijke website"),
    ("Detecteren risico’s op voertuigcriminaliteit in douaneaangiften", None, "doel", "en", "What is the customs algorithm on vehicle crime looking for?", "voertuigen die in de Europese Unie zijn gestolen"),
    ("Detecteren risico’s in douaneaangiften op invoer van GPS- en GSM-Jammers", None, "doel", "nl", "Met welke organisatie werkt de Douane samen bij de controle op GPS- en GSM-jammers?", "in samenwerking met het Agentschap Telecom"),
    ("Detecteren risico’s in douaneaangiften op producten die onder de biologische wetgeving vallen", None, "doel", "en", "Who does customs work with on organic (biologische) products?", "Keur Alternatief voortgebrachte Landbouwproducten"),
    ("Detecteren risico’s in douaneaangiften op binnenbrengen, in- en uitvoer van verse groenten en fruit", None, "doel", "nl", "Met wie werkt de Douane samen bij verse groenten en fruit?", "Kwaliteits-Controle-Bureau (KCB)"),
    ("De Telecommonitor", None, "doel", "en", "Which visualisation program does the ACM's Telecommonitor use?", "Tableau, een visualisatieprogramma"),
    ("Warmtenet Tariefchecker", None, "doel", "nl", "Wat onderzoekt de Warmtenet Tariefchecker van de ACM?", "of warmteleveranciers consumenten niet te veel laten betalen"),
    ("Concerndashboard EZK", None, "doel", "en", "What is the Concerndashboard of EZK mainly used for?", "personele bezetting en ziekteverzuim"),
    ("Externe databank voor financiële informatie", None, "doel", "nl", "Waarvoor gebruikt de Belastingdienst de externe databank voor financiële informatie?", "toezicht dat de Belastingdienst uitoefent op multinationale"),
    ("Signaal Hogeschool / Universiteit", None, "doel", "en", "Which organisation does the Inlichtingenbureau share data with for the 'Signaal Hogeschool / Universiteit'?", "DUO (Dienst Uitvoering Onderwijs)"),
    ("Subsidie-buddy", None, "doel", "en", "Which subsidy scheme does RVO's Subsidie-buddy answer questions about?", "veelgestelde vragen over de EIP-regeling"),
    ("Aanvraagformulier Bbz", None, "doel", "nl", "Wat gebeurt er met aanvragen in het groene spoor van het Bbz-aanvraagformulier in Amsterdam?", "zonder tussenkomst van een medewerker toegekend"),
    ("Vroegsignalering schulden", "Gemeente Almelo", "doel", "en", "From whom does Almelo receive signals about payment arrears?", "woningcorporaties, zorgverzekeraars, energiebedrijven"),
    ("Modelsysteem voor de Klimaatscenario’s voor Nederland", None, "doel", "nl", "Voor welke gebieden maakt het KNMI-modelsysteem klimaatscenario's?", "in Nederland en de BES eilanden"),
    ("Steekproefcontroles binnen het Gemeenschappelijk landbouwbeleid (GLB)", None, "doel", "en", "How does RVO check that farmers spend CAP subsidies correctly?", "Dat doen we dan specifiek met een steekproef"),
    ("Copilot", "Omgevingsdienst Haaglanden", "doel", "nl", "Welk Copilot-product gebruikt Omgevingsdienst Haaglanden?", "Copilot Chat als generatieve AI-assistent"),
    ("Mr. Fill: slimme prullenbak", None, "doel", "en", "What is the goal of Mr. Fill in The Hague?", "Efficienter afvalbeheer"),
    ("Tellen zonnepanelen op daken", None, "org", "nl", "Welke organisatie telt zonnepanelen op daken met een algoritme?", "Gemeente Groningen"),
    ("Hansken", None, "org", "en", "Which organisation runs Hansken?", "Nederlands Forensisch Instituut"),
    ("Vuurwerkverkenner", None, "org", "nl", "Van wie is de Vuurwerkverkener?", "Nederlands Forensisch Instituut"),
    ("Afleiding Kansrijkheid", None, "org", "en", "Who uses the algorithm 'Afleiding Kansrijkheid'?", "Dienst Terugkeer en Vertrek"),
    ("Chatbot Bo", None, "org", "nl", "Van welke organisatie is Chatbot Bo?", "Belastingsamenwerking West-Brabant"),
    ("Asfaltdegradatie-app", None, "org", "en", "Which organisation registered the Asfaltdegradatie-app?", "Provincie Utrecht"),
    ("TVL Risicomodel", None, "status", "nl", "Wat is de status van het TVL Risicomodel van RVO?", None),
    ("WetWijzer Bedrijven", None, "status", "en", "What is the status of WetWijzer Bedrijven from Logius?", None),
    ("NACE SBI Classifier", None, "status", "nl", "Wordt de NACE SBI Classifier al gebruikt? Wat is de status?", None),
    ("Model van Bijstand naar Werk", None, "status", "en", "Status of Den Haag's 'Model van Bijstand naar Werk'?", None),
    ("Chatbot Guus 2.0", None, "status", "nl", "Wat is de status van Chatbot Guus 2.0 in Goes?", None),
    ("Verkenning van Generatieve AI in het beoordelingsproces van aanbestedingen", None, "status", "en", "What's the status of Almere's exploration of generative AI for assessing tenders?", None),
    ("Druktemeting - blurren van het beeld", None, "status", "nl", "Wat is de status van de druktemeting waarbij het beeld geblurd wordt in Den Haag?", None),
    ("Hansken", None, "status", "en", "Is Hansken in use, in development or out of use?", None),
    ("MONOcam", None, "ia", "nl", "Is er voor MONOcam een impact assessment gedaan?", None),
    ("Robotic Process Automation (RPA) voor administratieve verwerking in de applicatie Suite4SD", None, "ia", "en", "Impact assessment status for Zutphen's RPA in Suite4SD?", None),
    ("Protective Monitoring", None, "ia", "nl", "Wat staat er bij impact assessment voor Protective Monitoring van de politie?", None),
    ("Detecteren risico’s in douaneaangiften op naleving vergunningsplicht van cultuurgoederen", None, "ia", "en", "Does the customs algorithm on cultural goods permits have an impact assessment? (Yes/No/Unknown)", None),
    ("Warmtenet Tariefchecker", None, "ia", "nl", "impact assessment warmtenet tariefchecker?", None),
    ("Huurprijscalculator", None, "org", "nl", "Welke gemeente heeft de Huurprijscalculator?", "Gemeente Rotterdam"),
    ("Signaal Heffingskortingen", None, "jb", "en", "What does the legal basis field of 'Signaal Heffingskortingen' refer to?", "het algoritme Samenloopsignalering"),
    ("Controle met een scanauto", None, "jb", "nl", "Welk artikel geeft Zaanstad de bevoegdheid om parkeerbelasting te heffen bij de scanauto?", "Artikel 225: Dit artikel geeft gemeenten de bevoegdheid"),
    ("Geluidsmodel", None, "doel", "en", "What does Utrecht's Geluidsmodel predict?", "of de geluidsnormen worden overtreden"),
    # how long data is kept / what happens to it (answers inside the goal text)
    ("Parkeerhandhaving door middel van een scanauto", None, "doel", "nl", "Hoe lang bewaart Delft de beelden van de parkeerscanauto als er niks aan de hand is?", "de beelden binnen 72 uur verwijderd"),
    ("Gezichtsvergelijkingsalgoritme Self Service Passport Control (SSPC)", None, "doel", "en", "How long is my data stored by the self-service passport control face comparison?", "De gegevens worden maximaal 24 uur opgeslagen"),
    ("Automatische vertaling van arnhem.nl met DeepL Pro", None, "doel", "en", "What happens to the texts Arnhem sends to DeepL Pro for translating its website?", "direct na vertaling verwijderd"),
    ("Beeldherkenning reclamebelasting", None, "doel", "nl", "Wat gebeurt er met gezichten en kentekens bij de beeldherkenning voor reclamebelasting in Amsterdam?", "worden geblurd en niet opgeslagen"),
    ("Voorspelling omgevingslawaai", None, "doel", "nl", "Hoe vaak maken grote gemeenten geluidkaarten volgens de Voorspelling omgevingslawaai van Groningen?", "iedere 5 jaar geluidkaarten"),
]

YESNO = [
    # (title, organisation or None, kind status|ia, lang, question)
    ("TVL Risicomodel", None, "in_use", "nl", "Wordt het TVL Risicomodel van RVO nog gebruikt?"),
    ("MONOcam", None, "in_use", "en", "Is MONOcam stil in use by the police?"),
    ("Model van Bijstand naar Werk", None, "in_use", "nl", "Is het Model van Bijstand naar Werk van Den Haag nog in gebruik?"),
    ("Hansken", None, "ia", "nl", "Heeft het NFI een impact assessment gedaan voor Hansken?"),
    ("WetWijzer Bedrijven", None, "in_use", "en", "Is WetWijzer Bedrijven already in use?"),
    ("Subsidie-buddy", None, "in_use", "nl", "Is de Subsidie-buddy van RVO in gebruik?"),
    ("Druktemeting - blurren van het beeld", None, "in_use", "en", "Is The Hague still using the crowd measuring pilot that blurs the image?"),
    ("Dashboard overzicht demonstraties", None, "in_use", "nl", "Gebruikt Amsterdam het dashbord overzicht demonstraties nog?"),
    ("Protective Monitoring", None, "ia", "en", "Did the police do an impact assessment for Protective Monitoring?"),
    ("Langzaam Verkeer Monitoringsysteem Amsterdam", None, "ia", "nl", "Heeft Amsterdam een impact assessment gedaan voor het Langzaam Verkeer Monitoringsysteem?"),
    ("Verkenning van Generatieve AI in het beoordelingsproces van aanbestedingen", None, "in_use", "nl", "Gebruikt Almere generatieve AI al bij het beoordelen van aanbestedingen?"),
    ("Warmtenet Tariefchecker", None, "in_use", "en", "Is the ACM's Warmtenet Tariefchecker in use?"),
    ("Chatbot Guus 2.0", None, "in_use", "nl", "Is chatbot Guus 2.0 van Goes nog actief?"),
    ("NACE SBI Classifier", None, "in_use", "en", "Is the KvK NACE SBI Classifier in use yet?"),
    ("KOT-regeling", None, "ia", "nl", "Is er een impact assessment gedaan voor de KOT-regeling van Dienst Toeslagen?"),
    ("Afleiding Kansrijkheid", None, "ia", "en", "Has DTenV carried out an impact assessment for Afleiding Kansrijkheid?"),
    ("Druktemeting - personen tellen", None, "in_use", "nl", "Telt Den Haag nog steeds personen met de druktemeting-pilot?"),
    ("Zoekapplicatie cold cases", None, "ia", "nl", "Heeft de zoekapplicatie cold cases van de politie een impact assessment?"),
    ("Subsidie-buddy", None, "ia", "en", "Does RVO's Subsidie-buddy have an impact assessment?"),
    ("Woo chatbot", None, "in_use", "en", "Is Coevorden's Woo chatbot in use?"),
    ("Druktemeting - groepsdynamiek inschatting", None, "in_use", "nl", "Is de druktemeting groepsdynamiek inschatting in Den Haag nog in gebruik?"),
    ("Cyrb geluidsherkenning", None, "in_use", "en", "Does Den Haag still use Cyrb sound recognition?"),
    ("Concerndashboard EZK", None, "ia", "nl", "Heeft het concerndashboard van EZK een impact assessment?"),
    ("Vroegsignalering gemeente Amsterdam", None, "in_use", "en", "Is Amsterdam's early warning system for debts (Vroegsignalering) in use?"),
    ("Aanvraagformulier Bbz", None, "ia", "en", "Did Amsterdam do an impact assessment on its Bbz application form?"),
    ("Huurprijscalculator", None, "ia", "nl", "Heeft Rotterdam een impact assessment gedaan voor de huurprijscalculator?"),
    ("Ramingsmodel rente Staatsschuldfinanciering", None, "ia", "en", "Was there an impact assesment for the Ministry of Finance's interest forecasting model for government debt financing?"),
    ("ChapterChat algoritme", None, "ia", "nl", "Heeft de provincie Groningen een IA gedaan voor het ChapterChat algoritme?"),
    ("Kandidatenverkenner banenafspraak (KVB)", None, "in_use", "en", "Is UWV's Kandidatenverkenner banenafspraak still used?"),
]


def add_lookups(b: Builder) -> None:
    r = b.reg
    for title, org, kind, lang, q, sub in LOOKUPS:
        e = r.by_id[r.one(title, org)]
        if kind == "status":
            expect = status_form(e, lang)
        elif kind == "ia":
            expect = ia_form(e, lang)
        else:
            field = {"jb": "juridische_basis", "doel": "doel", "org": "organisatie"}[kind]
            if sub not in e[field]:
                raise ValueError(f"lookup expect {sub!r} not in {field} of {e['id']}")
            expect = sub
        row = b.add("lookup", lang, q, [e["id"]], [e["id"]], expect)
        row["lookup_field"] = kind


def yes_no(e: dict, kind: str, lang: str) -> str | None:
    if kind == "in_use":
        yes = e["status"] == "in_gebruik"
    else:
        if e["impactassessment"] == "Onbekend":
            return None
        yes = e["impactassessment"] == "Ja"
    return ("Ja" if yes else "Nee") if lang == "nl" else ("Yes" if yes else "No")


def add_yesno(b: Builder) -> None:
    r = b.reg
    for title, org, kind, lang, q in YESNO:
        e = r.by_id[r.one(title, org)]
        ans = yes_no(e, kind, lang)
        if ans is None:
            raise ValueError(f"yes/no question on an 'Onbekend' impact assessment: {title}")
        row = b.add("yesno", lang, q, [e["id"]], [e["id"]], ans)
        row["lookup_field"] = kind


# --------------------------------------------------------------------------------------------
# followup
# --------------------------------------------------------------------------------------------

def add_followups(b: Builder) -> None:
    r = b.reg

    def fu(lang, first, q, ftype, gold, must=None, expect=None, field=None):
        if must is None:
            must = gold if ftype in ("org_list", "filter", "topic") else ()
        if ftype == "count":
            expect = str(len(gold))
        row = b.add("followup", lang, q, gold, must, expect, hist(first), ftype)
        if field:
            row["lookup_field"] = field

    org_fu = [
        ("nl", "Welke algoritmes heeft de gemeente Utrecht?", "Gemeente Utrecht"),
        ("en", "What algorithms does the Politie have?", "Politie"),
        ("nl", "Wat heeft de Douane in het register?", "Douane"),
        ("en", "Show the algorithms of the municipality of Rotterdam", "Gemeente Rotterdam"),
        ("nl", "Welke algoritmes heeft de Provincie Groningen?", "Provincie Groningen"),
        ("en", "Which algorithms does Gemeente Den Haag have?", "Gemeente Den Haag"),
        ("nl", "Welke algoritmes heeft de Belastingdienst?", "Belastingdienst"),
        ("en", "What algorithms does RVO use?", "Rijksdienst voor Ondernemend Nederland"),
        ("nl", "Laat de algoritmes van de gemeente Almere zien", "Gemeente Almere"),
        ("en", "Which algorithms does the UWV have?", "Uitvoeringsinstituut Werknemersverzekeringen"),
        ("nl", "Wat staat er van de gemeente Arnhem in het register?", "Gemeente Arnhem"),
        ("en", "algorithms of Gemeente Groningen?", "Gemeente Groningen"),
    ]
    followups_nl = [
        ("En welke daarvan zijn nog in gebruik?", "filter", lambda ids: r.S(ids, "in_gebruik")),
        ("Welke daarvan zijn buiten gebruik?", "filter", lambda ids: r.S(ids, "buiten_gebruik")),
        ("Hoeveel zijn dat er?", "count", lambda ids: ids),
        ("En welke hebben een impact assessment?", "filter", lambda ids: r.IA(ids, "Ja")),
        ("hoeveel daarvan zijn in ontwikkeling", "count", lambda ids: r.S(ids, "ontwikkeling")),
        ("Welke zijn nog in ontwikkeling?", "filter", lambda ids: r.S(ids, "ontwikkeling")),
    ]
    followups_en = [
        ("Which of those have an impact assessment?", "filter", lambda ids: r.IA(ids, "Ja")),
        ("And how many is that?", "count", lambda ids: ids),
        ("Which of them are out of use?", "filter", lambda ids: r.S(ids, "buiten_gebruik")),
        ("How many of those are still in development?", "count", lambda ids: r.S(ids, "ontwikkeling")),
        ("Which ones are in development?", "filter", lambda ids: r.S(ids, "ontwikkeling")),
        ("How many of them have an impact assessment?", "count", lambda ids: r.IA(ids, "Ja")),
    ]
    rot = {"nl": 0, "en": 0}
    for lang, first, org in org_fu:
        ids = r.O(org)
        options = followups_nl if lang == "nl" else followups_en
        # pick the next follow-up whose answer is not empty for filters (empty filters are tested elsewhere)
        for _ in range(len(options)):
            q, ftype, fn = options[rot[lang] % len(options)]
            rot[lang] += 1
            gold = fn(ids)
            if gold or ftype == "count":
                break
        fu(lang, first, q, ftype, gold)
        # a second follow-up on the same first question: the count of the full list
    # second-turn follow-ups on plural kinds
    fu("nl", "Welke algoritmes hebben de waterschappen?", "Hoeveel zijn dat er in totaal?", "count", r.OP(WATER_BOARDS))
    fu("en", "Which algorithms do the provinces have?", "Which of those are out of use?", "filter", r.S(r.OP(PROVINCES), "buiten_gebruik"))
    fu("nl", "Welke algoritmes hebben de ministeries?", "Welke daarvan zijn in ontwikkeling?", "filter", r.S(r.OP(MINISTRIES), "ontwikkeling"))

    # lookup follow-ups: first question names an algorithm, follow-up asks one fact
    lk = [
        ("nl", "Wat is MONOcam?", "Wat is de wetelijke grondslag daarvan?", ("MONOcam", None), "jb", "artikel 3 van de Politiewet"),
        ("en", "Tell me about Hansken of the NFI", "Is it still in use?", ("Hansken", None), "yes_in_use", None),
        ("nl", "Wat doet de Warmtenet Tariefchecker?", "Van welke organisatie is dat algoritme?", ("Warmtenet Tariefchecker", None), "org", "Autoriteit Consument en Markt"),
        ("en", "What is the TVL Risicomodel?", "Is it still being used?", ("TVL Risicomodel", None), "yes_in_use", None),
        ("nl", "Vertel eens over de Subsidie-buddy van RVO", "Is daar een impact assessment voor gedaan?", ("Subsidie-buddy", None), "yes_ia", None),
        ("en", "What does the Woo chatbot of Coevorden do?", "What is its status?", ("Woo chatbot", None), "status", None),
        ("nl", "Wat is de KOT-regeling van Dienst Toeslagen?", "En op welke wet is die gebaseerd?", ("KOT-regeling", None), "jb", "Wet hersteloperatie toeslagen"),
        ("en", "What does the Zoekapplicatie cold cases do?", "Who uses it, and for what exactly?", ("Zoekapplicatie cold cases", None), "doel", "helpt rechercheurs bij het vinden van informatie"),
        ("nl", "Wat is het Model van Bijstand naar Werk?", "Wordt het nog gebruikt?", ("Model van Bijstand naar Werk", None), "yes_in_use", None),
        ("en", "Explain the Dashboard overzicht demonstraties", "What is the legal basis for it?", ("Dashboard overzicht demonstraties", None), "jb", "Wet openbare manifestaties"),
        ("nl", "Wat doet Protective Monitoring bij de politie?", "Is het in gebruik?", ("Protective Monitoring", None), "yes_in_use", None),
        ("en", "What is the NACE SBI Classifier?", "What is its status?", ("NACE SBI Classifier", None), "status", None),
        ("nl", "Wat is de Vuurwerkverkenner?", "Wat is de status daarvan?", ("Vuurwerkverkenner", None), "status", None),
        ("en", "What is the Asfaltdegradatie-app?", "Which organisation is responsible for it?", ("Asfaltdegradatie-app", None), "org", "Provincie Utrecht"),
        ("nl", "Wat doet Chatbot Bo?", "Welke organisatie gebruikt die?", ("Chatbot Bo", None), "org", "Belastingsamenwerking West-Brabant"),
    ]
    for lang, first, q, (title, org), kind, sub in lk:
        e = r.by_id[r.one(title, org)]
        if kind == "status":
            fu(lang, first, q, "lookup", [e["id"]], [e["id"]], status_form(e, lang), "status")
        elif kind == "yes_in_use":
            fu(lang, first, q, "yesno", [e["id"]], [e["id"]], yes_no(e, "in_use", lang), "in_use")
        elif kind == "yes_ia":
            ans = yes_no(e, "ia", lang)
            assert ans is not None, title
            fu(lang, first, q, "yesno", [e["id"]], [e["id"]], ans, "ia")
        else:
            field = {"jb": "juridische_basis", "org": "organisatie", "doel": "doel"}[kind]
            assert sub in e[field], (title, sub)
            fu(lang, first, q, "lookup", [e["id"]], [e["id"]], sub, kind)

    # topic follow-ups: first a topic, then narrow it down
    parking = r.T(r"scanauto|parkeercontrole|parkeerhandhaving|stoepparkeren") | r.T(r"^Kentekencamerahandhaving scanauto")
    fu("nl", "Welke gemeenten controleren parkeren met een scanauto?", "En welke daarvan hebben een impact assessment gedaan?", "topic",
       r.IA(parking, "Ja"))
    zones = r.T(r"milieuzone|zero.?emissie|autoluw")
    fu("en", "Which cities enforce low-emission or car-free zones with number plate cameras?", "And which of those does Arnhem have?",
       "topic", zones & r.O("Gemeente Arnhem"))
    copilot = r.T(r"copilot") - r.T(r"github")
    fu("nl", "Wie gebruiken Microsoft Copilot?", "Welke daarvan zijn nog in ontwikkeling?", "topic", r.S(copilot, "ontwikkeling"))
    early = r.T(r"vroeg ?signal|vroeg eropaf|vroegtijdig ontvangen|RIS-matching|Eerste Hulp bij Geldzaken") - r.T("WGS1")
    fu("en", "Which municipalites get early warnings about residents' payment arrears?", "Does Amsterdam do this too?", "topic",
       early & r.O("Gemeente Amsterdam"))
    laa = r.T(r"Adreskwaliteit")
    fu("nl", "Wat is de Landelijke Aanpak Adreskwaliteit?", "Welke profielen heeft de RvIG daarvoor?", "topic",
       laa & r.O("Rijksdienst voor Identiteitsgegevens"))
    fu("en", "Which algorithms does the Belastingdienst use for VAT (omzetbelasting)?", "And how many are there?", "count",
       r.O("Belastingdienst") & r.T(r"omzetbelasting|\bOB\b|btw"))  # by title: HSTV only mentions VAT among other taxes
    fu("nl", "Gebruikt de gemeente Den Haag geluidssensoren?", "Hoeveel algoritmes heeft Den Haag in totaal?", "count", r.O("Gemeente Den Haag"))
    mail = r.T(r"zivver|veilig (e-)?mail|beveiligd mail|beveiligen e-mail|e-mail beveiliging|cryptshare|smartlockr")
    fu("en", "Which organisations use Zivver for secure email?", "Which of those are provinces?", "topic", mail & r.OP(PROVINCES))
    fu("nl", "Welke algoritmes heeft de Autoriteit Consument en Markt?", "Welke daarvan gaan over energie?", "topic",
       r.O("Autoriteit Consument en Markt") & r.TD(r"energie|elektriciteit|warmte|\bgas\b"))
    fu("en", "What does the NFI have in the register?", "How many is that?", "count", r.O("Nederlands Forensisch Instituut"))


# --------------------------------------------------------------------------------------------
# none
# --------------------------------------------------------------------------------------------

# (lang, question, patterns that must match NO entry in any field)
NONE = [
    ("nl", "Gebruikt de gemeente een algoritme om hondenbelasting te innen?", [r"hondenbelasting", r"\bhonden"]),
    ("en", "Is there an algorithm that decides who gets a windmill permit near my house?", [r"windturbine", r"windmol", r"windpark"]),
    ("nl", "Welke algoritmes gebruikt de gemeente voor het leerlingenvervoer?", [r"leerlingenvervoer", r"doelgroepenvervoer", r"leerlingvervoer"]),
    ("nl", "Wordt er een algoritme gebruikt om begraafplaatsen in te delen?", [r"begraaf", r"begrafenis", r"grafsteen", r"crematie"]),  # trap: WIBON "graven" = digging
    ("en", "Which algorithms does the Gemeente Atlantis have?", [r"Atlantis"]),
    ("nl", "Heeft De Nederlandsche Bank algoritmes in het register?", [r"Nederlandsche Bank", r"\bDNB\b"]),
    ("en", "Which algorithm is used for dog licence (hondenpenning) registration?", [r"hondenpenning", r"\bhonden"]),
    ("nl", "Gebruikt de Koninklijke Marine een algoritme om onderzeeërs te vinden?", [r"onderzee", r"Koninklijke Marine"]),
    ("nl", "Wordt er AI gebruikt om paddenstoelen te herkennen in het bos?", [r"paddenstoel", r"zwam"]),
    ("nl", "Is er een algoritme dat de prijs van haring op de markt bepaalt?", [r"haring"]),
    ("nl", "Welk algoritme gebruikt het ministerie voor de ruimtevaart en raketlanceringen?", [r"ruimtevaart", r"raket"]),
    ("en", "Is there an algorithm that measures the height of tulip fields?", [r"tulp", r"bollenveld"]),
    ("nl", "Welke algoritmes gebruikt de gemeente voor de kermis?", [r"kermis"]),
    ("en", "Does any Dutch government body use an algorithm to grade wine quality?", [r"\bwijn", r"\bwine"]),
    ("nl", "Gebruikt de Belastingdienst een algoritme voor de hondenbelasting van katten?", [r"\bhonden", r"katten"]),
    ("en", "Which algorithms does the Ministry of Tourism and Beaches have?", [r"Tourism", r"Toerisme", r"strand"]),
    ("en", "Is there an algorithm to match people with a pet from the animal shelter?", [r"asiel ?dier", r"dierenasiel", r"huisdier"]),
    ("nl", "Heeft de Eredivisie of de KNVB een algoritme voor de VAR in het register?", [r"KNVB", r"Eredivisie", r"voetbal"]),
    ("en", "Is there any algorithm about beekeeping or honey bees?", [r"\bbijen", r"imker", r"\bhoning\b"]),
    ("nl", "Welk algoritme gebruikt de gemeente om carnavalsoptochten te jureren?", [r"carnaval", r"optocht"]),
    ("en", "Does the government use AI to write poems for the King's birthday?", [r"gedicht", r"poëzie", r"Koningsdag"]),
    ("nl", "Welk algoritme bepaalt wie er op de ijsbaan mag schaatsen?", [r"schaats", r"ijsbaan"]),
    ("nl", "Gebruikt het Rijk een algoritme om de kleur van brievenbussen te kiezen?", [r"brievenbus"]),
    ("en", "Which algorithm predicts how many tourists visit the windmills of Kinderdijk?", [r"Kinderdijk"]),
    ("nl", "Is er een algoritme voor het uitlaten van honden in het park?", [r"uitlaten", r"\bhonden"]),
    ("en", "Does the police use an algorithm to predict ghost sightings?", [r"spook", r"ghost"]),
    # realistic questions the register cannot answer; most share a word with an unrelated entry
    ("nl", "Gebruikt de gemeente een algoritme om te bepalen wie met urgentie een sociale huurwoning krijgt?",
     [r"woningtoewijzing", r"woonruimteverdel", r"urgentie", r"toewijzing van (sociale )?huurwoning"]),  # trap: Huurprijscalculator
    ("en", "Does the municipality use an algorithm to decide on my disabled parking card application?",
     [r"gehandicaptenparkeer", r"invalidenparkeer", r"disabled parking"]),  # trap: scanauto 'parkeerkaart'
    ("nl", "Wordt het schooladvies voor de middelbare school door een algoritme bepaald?",
     [r"schooladvies", r"brugklas"]),  # trap: Onderwijsresultatenmodellen PO en VO
    ("en", "Is my application for a certificate of conduct (VOG) checked by an algorithm at Justis?",
     [r"\bVOG\b", r"verklaring omtrent", r"certificate of conduct"]),  # trap: Justis' entry on legal persons
    ("nl", "Gebruikt de gemeente een algoritme om trouwlocaties of trouwambtenaren in te plannen?",
     [r"trouwlocatie", r"trouwambtenaar", r"\bhuwelijk"]),  # trap: 'trouwen' inside 'vertrouwen'
    ("en", "Is my application for a fishing licence (VISpas) checked by an algorithm?", [r"visvergunning", r"vispas", r"hengel"]),
    ("nl", "Hoe worden de standplaatsen op de weekmarkt verdeeld, gebeurt dat met een algoritme?",
     [r"weekmarkt", r"marktkra", r"standplaats"]),
    ("en", "Is the subsidy for my heat pump (ISDE) assessed by an algorithm?", [r"warmtepomp", r"\bISDE\b", r"heat pump"]),
    ("nl", "Raadt de openbare bibliotheek boeken aan met een algoritme?",
     [r"bibliotheekpas", r"boekaanbevel", r"leesadvies", r"openbare bibliotheek"]),  # trap: 'bibliotheek' of legal advice
    ("en", "Is there an algorithm that finds lonely elderly people in my town?", [r"eenzaam", r"loneliness"]),
    ("nl", "Wordt er een algoritme gebruikt voor de ov-chipkaart met korting voor minima?", [r"ov-?chip"]),
    ("en", "Do municipal cameras detect dog poo on the pavement?", [r"hondenpoep", r"hondenuitwerpsel", r"\bhonden", r"dog poo"]),
    ("nl", "Gebruikt het CBR een algoritme om mijn praktijkexamen te beoordelen?",
     [r"rijexamen", r"praktijkexamen", r"theorie-?examen"]),  # trap: CBR's entry on medical fitness to drive
    ("en", "Which algorithm do municipalities use to book a sign language interpreter?", [r"doventolk", r"gebarentaal", r"sign language"]),
]


def add_none(b: Builder) -> None:
    r = b.reg
    for lang, q, patterns in NONE:
        for p in patterns:
            hits = r.ANY(p)
            if hits:
                raise ValueError(f"none question {q!r}: pattern {p!r} matches {sorted(hits)[:5]}")
        row = b.add("none", lang, q, [], [], None)
        row["checked_patterns"] = patterns


# --------------------------------------------------------------------------------------------

def _split_key(row: dict) -> str:
    first = row["history"][0]["content"] if row["history"] else ""
    return hashlib.sha256(f"{SEED}\x00{first}\x00{row['q']}".encode("utf-8")).hexdigest()


def assign_ids_and_split(rows: list[dict]) -> None:
    """Stratified by type: within each type the questions are ranked by a seeded hash of their text and
    the first 40% (rounded) are holdout. A question keeps its split when others are added or reordered
    (only the boundary of its own type can move), so the split does not depend on the build order."""
    for n, row in enumerate(rows, 1):
        row["id"] = f"q{n:03d}"
    by_type = defaultdict(list)
    for row in rows:
        by_type[row["type"]].append(row)
    for qtype in TYPES:
        group = sorted(by_type[qtype], key=_split_key)
        n_hold = round(len(group) * HOLDOUT_SHARE)
        for rank, row in enumerate(group):
            row["split"] = "holdout" if rank < n_hold else "tune"


FIELD_ORDER = ("id", "split", "q", "lang", "type", "followup_type", "history", "gold_ids", "gold_all", "must_ids", "expect",
               "lookup_field", "count_of", "checked_patterns")


def build(snapshot: Path) -> list[dict]:
    b = Builder(Register(snapshot))
    add_topics(b)
    add_topics_social(b)
    add_org_lists(b)
    add_counts(b)
    add_lookups(b)
    add_yesno(b)
    add_filters(b)
    add_followups(b)
    add_none(b)
    assign_ids_and_split(b.rows)
    return [{k: row[k] for k in FIELD_ORDER if k in row} for row in b.rows]


def review(rows: list[dict], snapshot: Path) -> None:
    reg = Register(snapshot)
    for row in rows:
        if row["type"] in ("topic",) or row.get("followup_type") == "topic":
            print(f"--- {row['id']} {row['q']}  ({len(row['gold_ids'])} gold, {len(row['must_ids'])} must)")
            titles = Counter((reg.by_id[i]["title"], i in row["must_ids"]) for i in row["gold_ids"])
            for (title, must), n in sorted(titles.items()):
                print(f"    {'*' if must else ' '} {title[:80]}{f' [{n}]' if n > 1 else ''}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT)
    ap.add_argument("--out-dir", type=Path, default=HERE, help="where questions-tune.jsonl and questions-holdout.jsonl go")
    ap.add_argument("--review", action="store_true", help="print topic gold titles instead of writing")
    args = ap.parse_args(argv)
    rows = build(args.snapshot)
    if args.review:
        review(rows, args.snapshot)
        return 0
    for split in SPLITS:
        path = args.out_dir / f"questions-{split}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                if row["split"] == split:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter((r["split"], r["type"]) for r in rows)
    print(f"wrote {len(rows)} questions to {args.out_dir}/questions-{{tune,holdout}}.jsonl: {dict(counts)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
