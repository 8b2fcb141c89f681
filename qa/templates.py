"""The short texts around an answer, in the asker's language (English for languages without a template).

Each entry: `lead` opens an answer; `other_language` says the quoted passages are in another language;
`refusal` says the documents do not answer; `contact` points to the managing authority.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "lead": "According to the documents:",
        "other_language": "The passages found are in another language ({languages}) and are quoted in the original.",
        "refusal": "I cannot answer this question from the available documents.",
        "contact": "For a binding answer, contact the managing authority of your programme.",
    },
    "fr": {
        "lead": "D'après les documents :",
        "other_language": "Les passages trouvés sont dans une autre langue ({languages}) et sont cités dans la version originale.",
        "refusal": "Je ne peux pas répondre à cette question à partir des documents disponibles.",
        "contact": "Pour une réponse officielle, contactez l'autorité de gestion de votre programme.",
    },
    "de": {
        "lead": "Laut den Dokumenten:",
        "other_language": "Die gefundenen Textstellen sind in einer anderen Sprache ({languages}) und werden im Original zitiert.",
        "refusal": "Diese Frage kann ich anhand der verfügbaren Dokumente nicht beantworten.",
        "contact": "Für eine verbindliche Auskunft wenden Sie sich an die Verwaltungsbehörde Ihres Programms.",
    },
    "nl": {
        "lead": "Volgens de documenten:",
        "other_language": "De gevonden passages zijn in een andere taal ({languages}) en worden in het origineel geciteerd.",
        "refusal": "Ik kan deze vraag niet beantwoorden op basis van de beschikbare documenten.",
        "contact": "Neem voor een bindend antwoord contact op met de managementautoriteit van uw programma.",
    },
    "bg": {
        "lead": "Според документите:",
        "other_language": "Намерените откъси са на друг език ({languages}) и са цитирани в оригинал.",
        "refusal": "Не мога да отговоря на този въпрос въз основа на наличните документи.",
        "contact": "За обвързващ отговор се обърнете към управляващия орган на вашата програма.",
    },
    "el": {
        "lead": "Σύμφωνα με τα έγγραφα:",
        "other_language": "Τα αποσπάσματα που βρέθηκαν είναι σε άλλη γλώσσα ({languages}) και παρατίθενται στο πρωτότυπο.",
        "refusal": "Δεν μπορώ να απαντήσω σε αυτή την ερώτηση με βάση τα διαθέσιμα έγγραφα.",
        "contact": "Για δεσμευτική απάντηση, απευθυνθείτε στη διαχειριστική αρχή του προγράμματός σας.",
    },
    "ru": {
        "lead": "Согласно документам:",
        "other_language": "Найденные фрагменты написаны на другом языке ({languages}) и приводятся в оригинале.",
        "refusal": "Я не могу ответить на этот вопрос на основе имеющихся документов.",
        "contact": "Для получения официального ответа обратитесь в управляющий орган вашей программы.",
    },
    "et": {
        "lead": "Dokumentide järgi:",
        "other_language": "Leitud lõigud on teises keeles ({languages}) ja need on tsiteeritud originaalis.",
        "refusal": "Ma ei saa olemasolevate dokumentide põhjal sellele küsimusele vastata.",
        "contact": "Siduva vastuse saamiseks pöörduge oma programmi korraldusasutuse poole.",
    },
    "ro": {
        "lead": "Conform documentelor:",
        "other_language": "Pasajele găsite sunt într-o altă limbă ({languages}) și sunt citate în original.",
        "refusal": "Nu pot răspunde la această întrebare pe baza documentelor disponibile.",
        "contact": "Pentru un răspuns oficial, contactați autoritatea de management a programului dumneavoastră.",
    },
    "pl": {
        "lead": "Według dokumentów:",
        "other_language": "Znalezione fragmenty są w innym języku ({languages}) i są cytowane w oryginale.",
        "refusal": "Nie mogę odpowiedzieć na to pytanie na podstawie dostępnych dokumentów.",
        "contact": "Aby uzyskać wiążącą odpowiedź, skontaktuj się z instytucją zarządzającą swojego programu.",
    },
    "es": {
        "lead": "Según los documentos:",
        "other_language": "Los pasajes encontrados están en otro idioma ({languages}) y se citan en el original.",
        "refusal": "No puedo responder a esta pregunta con los documentos disponibles.",
        "contact": "Para una respuesta vinculante, póngase en contacto con la autoridad de gestión de su programa.",
    },
    "it": {
        "lead": "Secondo i documenti:",
        "other_language": "I passaggi trovati sono in un'altra lingua ({languages}) e sono citati nell'originale.",
        "refusal": "Non posso rispondere a questa domanda sulla base dei documenti disponibili.",
        "contact": "Per una risposta vincolante, contatti l'autorità di gestione del suo programma.",
    },
    "pt": {
        "lead": "De acordo com os documentos:",
        "other_language": "Os excertos encontrados estão noutra língua ({languages}) e são citados no original.",
        "refusal": "Não posso responder a esta pergunta com base nos documentos disponíveis.",
        "contact": "Para uma resposta vinculativa, contacte a autoridade de gestão do seu programa.",
    },
    "hr": {
        "lead": "Prema dokumentima:",
        "other_language": "Pronađeni odlomci su na drugom jeziku ({languages}) i citirani su u izvorniku.",
        "refusal": "Na ovo pitanje ne mogu odgovoriti na temelju dostupnih dokumenata.",
        "contact": "Za obvezujući odgovor obratite se upravljačkom tijelu svojeg programa.",
    },
    "cs": {
        "lead": "Podle dokumentů:",
        "other_language": "Nalezené pasáže jsou v jiném jazyce ({languages}) a jsou citovány v originále.",
        "refusal": "Na tuto otázku nemohu na základě dostupných dokumentů odpovědět.",
        "contact": "Pro závaznou odpověď se obraťte na řídicí orgán svého programu.",
    },
    "sk": {
        "lead": "Podľa dokumentov:",
        "other_language": "Nájdené pasáže sú v inom jazyku ({languages}) a sú citované v origináli.",
        "refusal": "Na túto otázku nemôžem na základe dostupných dokumentov odpovedať.",
        "contact": "Pre záväznú odpoveď sa obráťte na riadiaci orgán svojho programu.",
    },
    "sl": {
        "lead": "Po navedbah dokumentov:",
        "other_language": "Najdeni odlomki so v drugem jeziku ({languages}) in so navedeni v izvirniku.",
        "refusal": "Na to vprašanje ne morem odgovoriti na podlagi razpoložljivih dokumentov.",
        "contact": "Za zavezujoč odgovor se obrnite na organ upravljanja svojega programa.",
    },
    "hu": {
        "lead": "A dokumentumok szerint:",
        "other_language": "A talált szövegrészek más nyelven ({languages}) vannak, és eredeti nyelven idézzük őket.",
        "refusal": "Erre a kérdésre a rendelkezésre álló dokumentumok alapján nem tudok válaszolni.",
        "contact": "Kötelező érvényű válaszért forduljon programja irányító hatóságához.",
    },
    "lt": {
        "lead": "Pagal dokumentus:",
        "other_language": "Rastos ištraukos yra kita kalba ({languages}) ir cituojamos originalo kalba.",
        "refusal": "Remdamasis turimais dokumentais negaliu atsakyti į šį klausimą.",
        "contact": "Dėl privalomo atsakymo kreipkitės į savo programos vadovaujančiąją instituciją.",
    },
    "lv": {
        "lead": "Saskaņā ar dokumentiem:",
        "other_language": "Atrastie fragmenti ir citā valodā ({languages}) un ir citēti oriģinālvalodā.",
        "refusal": "Es nevaru atbildēt uz šo jautājumu, pamatojoties uz pieejamajiem dokumentiem.",
        "contact": "Lai saņemtu saistošu atbildi, sazinieties ar savas programmas vadošo iestādi.",
    },
    "fi": {
        "lead": "Asiakirjojen mukaan:",
        "other_language": "Löydetyt kohdat ovat toisella kielellä ({languages}), ja ne lainataan alkuperäisinä.",
        "refusal": "En voi vastata tähän kysymykseen käytettävissä olevien asiakirjojen perusteella.",
        "contact": "Sitovan vastauksen saat ohjelmasi hallintoviranomaiselta.",
    },
    "sv": {
        "lead": "Enligt dokumenten:",
        "other_language": "De funna avsnitten är på ett annat språk ({languages}) och citeras i original.",
        "refusal": "Jag kan inte besvara den här frågan utifrån de tillgängliga dokumenten.",
        "contact": "För ett bindande svar, kontakta förvaltningsmyndigheten för ditt program.",
    },
    "da": {
        "lead": "Ifølge dokumenterne:",
        "other_language": "De fundne afsnit er på et andet sprog ({languages}) og citeres på originalsproget.",
        "refusal": "Jeg kan ikke besvare dette spørgsmål ud fra de tilgængelige dokumenter.",
        "contact": "For et bindende svar skal du kontakte forvaltningsmyndigheden for dit program.",
    },
    "mt": {
        "lead": "Skont id-dokumenti:",
        "other_language": "Il-passaġġi misjuba huma f'lingwa oħra ({languages}) u huma kkwotati fl-oriġinal.",
        "refusal": "Ma nistax inwieġeb din il-mistoqsija abbażi tad-dokumenti disponibbli.",
        "contact": "Għal tweġiba vinkolanti, ikkuntattja l-awtorità ta' ġestjoni tal-programm tiegħek.",
    },
    "ga": {
        "lead": "De réir na gcáipéisí:",
        "other_language": "Tá na sleachta a aimsíodh i dteanga eile ({languages}) agus luaitear iad sa bhunleagan.",
        "refusal": "Ní féidir liom an cheist seo a fhreagairt ó na cáipéisí atá ar fáil.",
        "contact": "Chun freagra ceangailteach a fháil, déan teagmháil le húdarás bainistíochta do chláir.",
    },
}
FALLBACK = "en"


def phrase(key: str, language: str, **values: str) -> str:
    """The `key` text in `language` (English when that language has no template), with `values` filled in."""
    return TEMPLATES.get(language, TEMPLATES[FALLBACK])[key].format(**values)


@lru_cache(maxsize=1024)
def language_name(code: str, in_language: str) -> str:
    """'fr' named in the asker's language ('френски' for bg), from CLDR data; the code when CLDR has no name."""
    display = in_language if in_language in TEMPLATES else FALLBACK
    try:
        return Locale.parse(display).languages.get(code, code)
    except (UnknownLocaleError, ValueError):
        return code


def refusal(language: str) -> str:
    return f"{phrase('refusal', language)} {phrase('contact', language)}"
