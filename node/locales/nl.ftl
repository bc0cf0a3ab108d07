# samenloop: de teksten van de app in het Nederlands (de standaardtaal).
# Elke sleutel staat ook in en.ftl; een test faalt als er een ontbreekt.

skip-to-content = Naar de inhoud
nav-label = Hoofdmenu
nav-home = Overzicht
language-switch = English
sign-out = Afmelden
footer-local = samenloop draait op deze computer. Uw gegevens blijven versleuteld en gaan alleen naar de mensen met wie u een review doet.

signin-needed-title = Open samenloop via de app
signin-needed-body = Start samenloop vanuit het menu van uw computer (of typ samenloop in een terminal). Dan opent deze pagina vanzelf, en bent u aangemeld.
signin-link-title = Deze link werkt niet meer
signin-link-used = Deze aanmeldlink is al gebruikt. Elke link werkt één keer.
signin-link-expired = Deze aanmeldlink is verlopen. Een link werkt twee minuten.
signed-out-title = U bent afgemeld

welcome-title = Welkom bij samenloop
welcome-intro = Eerst maken we uw sleutels. Daarmee ondertekent u alles wat u deelt, en alleen u kunt ze openen, met uw wachtzin.
welcome-name = Uw naam
welcome-name-hint = Zoals collega's u kennen. Deze naam staat in uw profiel.
welcome-name-missing = Vul uw naam in.
welcome-name-invalid = Deze naam kan niet: { $reason }
welcome-passphrase = Wachtzin
welcome-passphrase-hint = Minstens { $min } tekens. Een zin van een paar woorden is sterk en goed te onthouden.
welcome-passphrase-missing = Kies een wachtzin.
welcome-passphrase-short = De wachtzin is te kort: gebruik minstens { $min } tekens.
welcome-repeat = Herhaal de wachtzin
welcome-repeat-differs = De twee wachtzinnen zijn niet gelijk. Typ ze allebei opnieuw.
welcome-language = Taal
welcome-warning = Bewaar uw wachtzin goed. Zonder wachtzin kan niemand uw sleutels openen, ook wij niet.
welcome-submit = Sleutels maken en beginnen
welcome-failed = Het maken van uw sleutels is mislukt: { $reason }

strength-too-short = Te kort
strength-fair = Redelijk: langer is beter
strength-strong = Sterk

unlock-title = samenloop ontgrendelen
unlock-intro = Uw sleutels zijn op slot. Vul uw wachtzin in om verder te werken.
unlock-passphrase = Wachtzin
unlock-submit = Ontgrendelen
unlock-wrong = Deze wachtzin klopt niet. Probeer het opnieuw; na elke fout duurt het wat langer voor u weer kunt proberen.
unlock-passphrase-missing = Vul uw wachtzin in.
unlock-failed = Ontgrendelen is mislukt: { $reason }
unlock-damaged = Het sleutelbestand { $path } is beschadigd of aangepast, en is niet gebruikt. Zet het terug uit een reservekopie. (Details: { $reason })

home-title = Wat vraagt nu uw aandacht
home-problem = Niet alles kon worden opgehaald: { $reason }
home-referrals = Verwijzingen die op uw antwoord wachten
home-referrals-none = Er wachten geen verwijzingen op u.
home-referral-from = Verzoek van { $requester }
home-referral-received = ontvangen op { $date }
home-referral-respond-by = antwoord vóór { $date }
home-unknown-requester = een opdrachtgever
home-cases = Uw casussen
home-cases-none = U werkt nog niet aan een casus.
home-case-untitled = Casus zonder titel (de stukken komen nog binnen)
home-case-members = { $n ->
    [one] { $n } deelnemer
   *[other] { $n } deelnemers
}
home-case-removed = U bent uit deze casus verwijderd.
home-case-step = Stap { $step } van 6

step-1 = Oriëntatie
step-2 = Verkennen
step-3 = Dialoog
step-4 = Inzichten vertalen
step-5 = Rapportage
step-6 = Vervolg

role-lead = Hoofdreviewer
role-co-reviewer = Reviewer
role-supervisor = Supervisor
role-removed = Verwijderd

month-1 = januari
month-2 = februari
month-3 = maart
month-4 = april
month-5 = mei
month-6 = juni
month-7 = juli
month-8 = augustus
month-9 = september
month-10 = oktober
month-11 = november
month-12 = december

nav-referrals = Verwijzingen
not-found-title = Niet gevonden
not-found-body = Dit staat (niet meer) op uw computer. Ga terug naar het overzicht.
failure-title = Dat lukte niet
failure-body = samenloop kon dit nu niet doen. Probeer het zo nog eens; blijft het misgaan, kijk dan in het logboek van uw node.
failure-detail = Melding: { $detail }
details = Details
details-referral-id = Verwijzing
details-request-id = Verzoek
details-requester-id = Opdrachtgever (peer-id)

referrals-title = Verwijzingen
referrals-waiting = Wachten op uw antwoord
referrals-answered = Beantwoord of afgesloten
referrals-answered-none = Nog geen.
referral-back = ← Alle verwijzingen
referral-state-offered = Wacht op uw antwoord
referral-state-accepted = Geaccepteerd op { $date }
referral-state-declined = Afgewezen op { $date }
referral-state-expired = Verlopen op { $date }
referral-state-withdrawn = Ingetrokken door de opdrachtgever op { $date }
referral-answer = Uw antwoord
referral-conflict-legend = Verklaring over belangenverstrengeling
referral-conflict-hint = U bent onafhankelijk als u niet werkt of de afgelopen drie jaar niet werkte voor een van de betrokken organisaties, en geen andere band met de casus hebt.
referral-conflict-none = Ik verklaar dat er geen belangenverstrengeling is.
referral-conflict-possible = Er is mogelijk een belangenverstrengeling; de opdrachtgever weegt die.
referral-conflict-describe = Beschrijf de mogelijke belangenverstrengeling
referral-conflict-missing = Beschrijf de mogelijke belangenverstrengeling, of verklaar dat er geen is.
referral-conflict-choose = Kies een van de twee verklaringen.
referral-accept = Accepteren
referral-decline-reason = Reden om af te wijzen
referral-reason-missing = Geef een reden; de opdrachtgever ziet die.
referral-decline = Afwijzen
referral-answer-refused = Uw antwoord is niet verstuurd: { $reason }
referral-request = Het verzoek

q1 = 1. Wat is de aanleiding om een leerreview te overwegen?
q2 = 2. Wat is de leervraag?
q3 = 3. Welke organisaties zijn betrokken?
q4 = 4. Rol van de gemeente?
q5 = 5. Rol van de Jeugdinspecties?
q6 = 6. De context van de casus
q7 = 7. Welke informatie is er al beschikbaar?
q8 = 8. Kunnen gezinsleden bij de review worden betrokken?
q9 = 9. Wat zijn aandachtspunten m.b.t. privacy?
q10 = 10. Urgentie en beschikbare tijd
q11 = 11. Wie is contactpersoon?
q12 = 12. Afspraken over de kosten
q13 = 13. Wat zijn de verwachtingen over het resultaat van de leerreview?
q14 = 14. Hoe en aan wie wordt gerapporteerd?
request-period = Periode van de review: { $period }
request-when = Start en einde: { $period }
request-budget = { $hours ->
    [one] Begroot: { $hours } reviewuur
   *[other] Begroot: { $hours } revieweruren
}
request-variant = Soort review
request-reviewers = Aantal reviewers
request-expertise = Gevraagde expertise
request-language = Taal
request-region = Regio
variant-full = Volledige leerreview
variant-mid-range = Middelgrote review
variant-focused = Gerichte review (één dag)
variant-themed = Thematische review

organisation-youth-care = jeugdhulp
organisation-child-protection = jeugdbescherming en jeugdreclassering
organisation-veilig-thuis = Veilig Thuis
organisation-neighbourhood-team = wijkteam
organisation-mental-health = ggz
organisation-youth-health = jeugdgezondheidszorg
organisation-education = onderwijs
organisation-police = politie
organisation-justice = justitie
organisation-health-care = gezondheidszorg
organisation-municipality = gemeente
organisation-other = anders

language-nl = Nederlands
language-en = Engels
language-de = Duits
language-fr = Frans
language-ar = Arabisch
language-tr = Turks
language-pl = Pools
referral-answer-problem = Uw antwoord is nog niet verstuurd: er ontbreekt iets. Ga naar uw antwoord.
live-changed = Er is intussen iets veranderd aan deze verwijzing.
live-reload = Pagina vernieuwen

nav-directory = Reviewers zoeken
directory-title = Reviewers zoeken
directory-back = ← Terug naar zoeken
search-label = Zoeken naar reviewers
search-filters = Waar zoekt u op?
search-expertise = Expertise
search-expertise-hint = Alle aangevinkte expertise moet de reviewer hebben.
search-other-tags = Andere expertise (gescheiden door komma's)
search-region = Regio
search-language = Spreekt de taal
search-any = Maakt niet uit
search-available-on = Beschikbaar op
search-min-hours = Minstens zoveel uur per maand
search-text = Zoek in naam, beschrijving en organisaties
search-submit = Zoeken
search-date-invalid = Dit is geen datum. Kies een dag in de kalender.
search-hours-invalid = Vul een heel aantal uren in, zoals 8.
search-found = { $n ->
    [one] { $n } reviewer gevonden
   *[other] { $n } reviewers gevonden
}
search-all = { $n ->
    [one] { $n } reviewer
   *[other] Alle { $n } reviewers
}
search-directory-size = { $n ->
    [one] Uw computer kent { $n } reviewer in het netwerk.
   *[other] Uw computer kent { $n } reviewers in het netwerk.
}
search-none = Geen reviewer past bij alles wat u zoekt. Laat een filter weg om meer te zien.
hours-per-month = { $hours ->
    [one] { $hours } uur per maand
   *[other] { $hours } uur per maand
}
availability-open = beschikbaarheid niet opgegeven
availability-from = beschikbaar vanaf { $date }
availability-until = beschikbaar tot en met { $date }
availability-between = beschikbaar { $period }
level-trainee = Reviewer in opleiding
level-accredited = Geaccrediteerd reviewer
level-supervisor = Supervisor
accreditation-verified = { $level } (bevestigd door een supervisor)
accreditation-self-declared = { $level } (zelf opgegeven, niet bevestigd)
profile-about = Over deze reviewer
profile-expertise = Expertise
profile-regions = Regio's
profile-languages = Talen
profile-hours = Tijd
profile-availability = Beschikbaarheid
profile-rate = Uurtarief
profile-rate-value = € { $rate } per uur
profile-affiliations = Organisaties
profile-affiliations-hint = Waar deze reviewer werkt of werkte. Daarop wordt onafhankelijkheid getoetst.
profile-affiliations-none = Geen organisaties opgegeven.
affiliation-since = sinds { $date }
affiliation-until = tot { $date }
details-peer-id = Peer-id
details-revision = Versie van het profiel
details-valid-until = Geldig tot

problem-required = Vul dit in.
problem-too-long = { $max ->
    [one] Dit mag hoogstens { $max } teken lang zijn.
   *[other] Dit mag hoogstens { $max } tekens lang zijn.
}
problem-control-characters = Hier staan tekens in die niet kunnen (zoals tabs of onzichtbare tekens).
problem-too-many = { $max ->
    [one] Hoogstens { $max }.
   *[other] Hoogstens { $max }.
}
problem-invalid-tag = Gebruik kleine letters en koppeltekens, zoals jeugdbescherming of veilig-thuis.
problem-duplicate = Hier staat iets twee keer.
problem-invalid-language = Gebruik de taalcode, zoals nl of en.
problem-invalid-item = { $max ->
    [one] Elk onderdeel moet 1 teken lang zijn.
   *[other] Elk onderdeel moet 1 tot { $max } tekens lang zijn.
}
problem-too-high = Hoogstens { $max }.
problem-too-low = Minstens { $min }.
problem-ends-before-start = Het einde ligt vóór het begin.
problem-other = Dit klopt niet ({ $detail }).

nav-profile = Mijn profiel
my-profile-title = Mijn profiel
my-profile-saved = Uw profiel is ondertekend en gepubliceerd. Andere reviewers en opdrachtgevers zien het nu.
my-profile-problems = Uw profiel is nog niet gepubliceerd: bij een of meer velden staat wat er niet klopt.
my-profile-published = Dit is wat het netwerk over u weet. Opslaan ondertekent en publiceert het meteen.
my-profile-not-published = Uw profiel is nog niet gepubliceerd. Vul het aan en sla het op; dan kunnen opdrachtgevers u vinden.
my-profile-bio = Over u
my-profile-bio-hint = Een paar zinnen over uw achtergrond en ervaring met reviews.
my-profile-regions = Regio's waar u werkt (gescheiden door komma's)
my-profile-other-languages = Andere talen (taalcodes, gescheiden door komma's)
my-profile-hours = Uren per maand beschikbaar voor reviews
my-profile-available-from = Beschikbaar vanaf
my-profile-available-until = Beschikbaar tot en met
my-profile-rate = Uurtarief in euro (leeg laten als u het niet wilt noemen)
my-profile-organisation = Organisatie
my-profile-from = Vanaf
my-profile-until = Tot en met (leeg: nog steeds)
my-profile-level = Accreditatie
my-profile-level-hint = Een hoger niveau dan in opleiding wordt bevestigd door een supervisor.
my-profile-save = Opslaan en publiceren
profile-verdict-verified = Uw huidige niveau is bevestigd.
profile-verdict-self-declared = Uw huidige niveau is nog niet bevestigd door een supervisor.
form-date-invalid = Dit is geen datum. Kies een dag in de kalender.
form-number-invalid = Vul een heel getal in, zoals 16.
form-amount-invalid = Vul een bedrag in, zoals 130 of 130,50.
my-profile-affiliations-hint = Waar u werkt of de afgelopen jaren werkte. Daarop wordt uw onafhankelijkheid getoetst: u krijgt geen verzoek over een casus waarbij zo'n organisatie betrokken is.

nav-settings = Instellingen
settings-title = Instellingen
settings-language-legend = In welke taal wilt u samenloop gebruiken?
settings-language-save = Taal bewaren
settings-passphrase = Wachtzin wijzigen
settings-passphrase-hint = Uw sleutels worden opnieuw versleuteld met de nieuwe wachtzin. De oude werkt daarna niet meer.
settings-current = Huidige wachtzin
settings-new = Nieuwe wachtzin
settings-passphrase-save = Wachtzin wijzigen
settings-passphrase-saved = Uw wachtzin is gewijzigd. Gebruik voortaan de nieuwe.
settings-current-wrong = Dit is niet uw huidige wachtzin. Er is niets veranderd.
settings-passphrase-failed = Het wijzigen is mislukt; uw oude wachtzin werkt nog: { $reason }

nav-requests = Verzoeken
requests-title = Verzoeken
requests-intro = Hier vraagt u als opdrachtgever (gemeente of jeugdhulporganisatie) een leerreview aan, en verwijst u het verzoek naar onafhankelijke reviewers.
requests-new = Nieuw verzoek
requests-mine = Uw verzoeken
requests-none = U hebt nog geen verzoek gedaan.
requests-created = ingediend op { $date }
requests-back = ← Alle verzoeken
request-title = Verzoek voor { $municipality }
request-status-new = Nog niet verwezen
request-status-complete = Alle reviewers hebben geaccepteerd
request-status-open = { $n ->
    [one] { $n } wacht op antwoord
   *[other] { $n } wachten op antwoord
}
request-status-accepted = { $n } geaccepteerd
request-new-title = Een leerreview aanvragen
request-new-intro = De vragen hieronder zijn de oriëntatievragen van de methode. Ze helpen u en de reviewers om te zien of een leerreview past. Niet elke vraag hoeft uitgebreid te worden beantwoord; de vragen met een toelichting geven richting.
request-new-problems = Uw verzoek is nog niet opgeslagen: bij een of meer vragen staat wat er niet klopt. Wat u typte, staat er nog.
request-new-submit = Verzoek opslaan
form-answer = Uw antwoord
form-learning-question = De leervraag
form-period-from = De periode van de review: vanaf
form-period-until = tot en met
form-municipality = De gemeente, en haar rol
form-desired-start = De review kan beginnen op
form-desired-end = De review moet klaar zijn op
form-budget-hours = Begrote uren voor de reviewers samen
form-organisation = Organisatie
form-organisation-kind = Soort organisatie
form-organisation-more = Meer organisaties? Sla op; er komen dan nieuwe lege regels bij.
form-needs = Wat voor reviewers zoekt u?
form-needs-hint = Hiermee zoekt samenloop reviewers die passen en onafhankelijk zijn.
form-region = Regio van de casus
form-date-missing = Vul een datum in.
q1-hint =
    Wat maakt dat u overweegt om een leerreview te houden?
    Gaat het om een specifiek incident, een specifiek thema, of de ketensamenwerking?
    Wilt u ervaring opdoen met leerreviews, of daarover meer kennis in uw organisatie?
    Is er een externe aanleiding voor een leerreview?
q2-hint =
    Wat is de leervraag in het algemeen, en hoe past de casus daarin?
    Over welke tijdsperiode zou de leerreview moeten gaan? Was er in die periode een speciale focus?
    Wat is er door de betrokkenen bij de casus te leren? En door de organisatie(s)?
q3-hint =
    Wie zijn de direct betrokken organisaties? Weten zij dat u een leerreview overweegt?
    Zijn er nog andere organisaties betrokken?
    Bij een thematische review: wie zou daarbij verder betrokken moeten worden?
q4-hint =
    Door de Jeugdwet is meestal een gemeente betrokken.
    Is de gemeente op de hoogte van de casus? Speelde de gemeente een rol in de casus?
    Staat de gemeente achter leerreviews?
q5-hint =
    Calamiteiten dienen aan de Jeugdinspecties gemeld te worden.
    Is de Inspectie op de hoogte van de casus? Is er rapport uitgebracht aan de Inspectie?
    Geeft dat aanknopingspunten voor de review? Staat de Inspectie achter een leerreview?
q6-hint =
    Bij calamiteiten kan sprake zijn van een schuldvraag of onderzoek.
    Speelt dat ten opzichte van een van de hulpverleners, of van een van de organisaties?
    Loopt er onderzoek, bijvoorbeeld tuchtrechtelijk? Is er sprake van gevoeligheden of conflicten?
q7-hint =
    Het gaat om stukken die van belang worden als de leerreview doorgaat. Ze hoeven nog niet opgestuurd te worden.
    Welke stukken zijn dat? Welke informatie moet nog verzameld worden, en wie zorgt daarvoor?
    Wie kan nog belangrijke informatie leveren?
q8-hint =
    Als regel dienen gezinsleden geïnformeerd te zijn.
    Is er reden hen niet te informeren? Is er reden dat zij deelnemen aan de review? Wie van de gezinsleden?
    Is daarbij extra steun nodig voor het gezin?
q9-hint =
    Privacygevoelige informatie moet secuur behandeld worden; van de deelnemers wordt verwacht dat zij dat onderschrijven.
    Moet de cliënt om toestemming worden gevraagd? Moeten de te bespreken stukken worden geanonimiseerd?
q10-hint =
    Een leerreview kost als regel 4 tot 6 maanden.
    Wanneer zou de review kunnen beginnen, en wanneer moet zij afgerond zijn?
q11-hint =
    Wie is contactpersoon voor het leveren van stukken?
    Wie is contactpersoon voor het maken van afspraken, met de bevoegdheid die daarbij hoort?
    Zijn er voorkeurstijden in de week voor reviewbijeenkomsten, of juist blokkades?
q12-hint =
    Een leerreview brengt kosten met zich mee; die worden op grond van de oriëntatie geoffreerd.
    Is de gemeente bereid (een deel van) de kosten te dragen? Welke betrokken organisaties zijn dat?
    Wie is adressant voor rekeningen?
q13-hint =
    Wanneer is er sprake van een geslaagde leerreview?
    Zijn er ideeën hoe het geleerde verder benut kan worden?
q14-hint =
    Aan wie is het eindrapport gericht?
    Wordt het verder verspreid, en aan wie?

request-referrals = Verwijzingen
request-referrals-none = Dit verzoek is nog niet naar reviewers verwezen. Kies hieronder wie u vraagt.
outgoing-issued = verwezen op { $date }
outgoing-at-mailbox = Ligt versleuteld in de postbus van de reviewer: de computer van de reviewer was niet bereikbaar. Die krijgt het zodra die weer aan staat.
outgoing-undelivered = Nog niet afgeleverd: de computer van de reviewer was niet bereikbaar. samenloop blijft het proberen.
outgoing-offered = Wacht op antwoord
outgoing-accepted = Geaccepteerd op { $date }
outgoing-conflict = Meldt een mogelijke belangenverstrengeling: { $conflict }
outgoing-declined = Afgewezen op { $date }
outgoing-reason = Reden: { $reason }
outgoing-expired = Niet beantwoord, verlopen op { $date }
outgoing-withdrawn = Door u ingetrokken op { $date }
request-withdraw = Openstaande verwijzingen intrekken
request-withdraw-hint = De reviewers krijgen bericht dat het verzoek voor hen vervalt.
request-complete = Genoeg reviewers hebben geaccepteerd. De hoofdreviewer opent de casus.
request-referred = Verwezen. De reviewers krijgen het verzoek nu op hun computer.
request-withdrawn = De openstaande verwijzingen zijn ingetrokken.
match-title = Passende reviewers
match-intro = samenloop zoekt in de profielen die uw computer kent. Wie werkt of de afgelopen drie jaar werkte voor een betrokken organisatie, valt af; bij iedereen staat waarom.
match-pair = Voorgesteld duo
match-none = Geen reviewer past op dit moment. Bekijk hieronder waarom, of pas de behoeften aan in een nieuw verzoek.
match-candidates = Kandidaten, de best passende eerst
match-score = { $score } punten
match-profile = Profiel bekijken
match-excluded = Valt af
match-failed = Zoeken naar reviewers lukte niet: { $reason }
refer-respond-by = Antwoord gevraagd vóór
refer-pair = Verwijs naar dit duo
refer-chosen = Verwijs naar de aangevinkte reviewers
refer-next = Verwijs naar de volgende kandidaat
refer-date-invalid = Dit is geen datum. Kies een dag in de kalender.
refer-choose = Vink eerst een of meer reviewers aan.
refer-refused = Niet verwezen: { $reason }
pair-names = { $a } en { $b }
pair-score = Samen { $total } punten (waarvan { $bonus } omdat zij elkaar aanvullen)
pair-covers = Samen hebben zij { $covered } van de { $wanted } gevraagde expertises: { $tags }
pair-lead-verified = { $name } is { $level } (bevestigd)
pair-lead-self-declared = { $name } is { $level } (zelf opgegeven: er is geen duo met een bevestigd niveau)
reason-expertise = Heeft { $covered } van de { $wanted } gevraagde expertises
reason-region = Werkt in de regio
reason-nationwide = Werkt in het hele land
reason-trainee-needs-lead = In opleiding: werkt naast een geaccrediteerd reviewer
reason-capacity = Heeft { $offered } uur per maand, ongeveer { $needed } nodig
reason-partial = Beschikbaar in { $percent }% van de gevraagde periode
reason-interest = Reageerde op de oproep voor reviewers
reason-fairness = { $n ->
    [one] Kreeg onlangs { $n } verwijzing (het werk wordt gespreid)
   *[other] Kreeg onlangs { $n } verwijzingen (het werk wordt gespreid)
}
outcome-offered = wacht nog op antwoord
outcome-accepted = geaccepteerd
outcome-declined = afgewezen
outcome-expired = verlopen
outcome-withdrawn = ingetrokken
excluded-requester = Is de opdrachtgever zelf
excluded-conflict = Belangenverstrengeling: werkt bij { $affiliation } (betrokken: { $organisation })
excluded-conflict-past = Belangenverstrengeling: werkte tot { $until } bij { $affiliation }, minder dan drie jaar geleden (betrokken: { $organisation })
excluded-language = Spreekt geen { $language }
excluded-not-available = Niet beschikbaar in de gevraagde periode
excluded-hours = Heeft { $offered } uur per maand; het verzoek vraagt ongeveer { $needed } per reviewer
excluded-referred = Al verwezen voor dit verzoek ({ $outcome })
history-title = Geschiedenis
history-verified = Elke stap is door u ondertekend en de keten klopt.
history-not-verified = Let op: de ondertekende geschiedenis van dit verzoek klopt niet.
history-created = Verzoek opgesteld
history-offered = Verwezen naar { $reviewer }
history-delivered = Afgeleverd bij { $reviewer }
history-refused = Niet aangenomen door de computer van { $reviewer }
history-accepted = Geaccepteerd door { $reviewer }
history-declined = Afgewezen door { $reviewer }
history-expired = Verlopen zonder antwoord van { $reviewer }
history-withdrawn = Ingetrokken bij { $reviewer }
history-call = Oproep voor reviewers geplaatst
history-interest = { $reviewer } reageerde op de oproep
history-other = Gewijzigd

nav-cases = Casussen
cases-title = Casussen
cases-back = ← Alle casussen
cases-open-own = Een casus openen zonder verwijzing
cases-open-own-hint = Meestal opent u een casus vanuit een geaccepteerde verwijzing; dan neemt de casus de leervraag, de periode en de organisaties over. Hier opent u er een met alleen een titel.
cases-open-title = Titel van de casus
cases-open-submit = Casus openen
case-default-title = Leerreview { $municipality }
case-open-title-missing = Geef de casus een titel, of open hem vanuit een geaccepteerde verwijzing.
case-tabs = Onderdelen van de casus
case-tab-overview = Overzicht
case-tab-timeline = Tijdlijn
case-analysis-not-arrived = De stukken van deze casus komen nog binnen van de andere deelnemers. Zodra ze er zijn, verschijnen ze hier vanzelf.
case-analysis-unreadable = De analyse van deze casus kan op uw computer niet worden gelezen: { $reason }. Er is niets aan veranderd.
case-live-changed = Een collega heeft intussen iets veranderd. Wat u typte, staat er nog; vernieuw de pagina als u klaar bent.
case-scope = Waar de review over gaat
case-scope-none = Deze casus is geopend zonder verwijzing: er is geen leervraag overgenomen.
case-period = Periode
case-organisations = Betrokken organisaties
case-steps = De zes stappen
case-step-move = Naar stap
case-step-save = Stap vastleggen
case-step-choose = Kies een stap van 1 tot en met 6.
case-step-saved = De stap is vastgelegd, met de datum van vandaag.
case-members = Deelnemers
case-you = u
case-member-since = sinds { $date }
case-member-unknown = Onbekende deelnemer
case-hand-lead = Maak { $name } hoofdreviewer
case-remove = { $name } verwijderen
case-remove-explained = Wie u verwijdert, leest niets nieuws meer mee: de sleutels van de stukken die diegene kon lezen worden vervangen, en alleen de overige deelnemers krijgen de nieuwe.
case-invite = Iemand uitnodigen
case-invite-who = Wie
case-invite-pick = Kies een reviewer
case-invite-as = Als
case-invite-hint = Een reviewer werkt mee aan de analyse en leest de notities; een supervisor leest de analyse en geeft commentaar, maar ziet de notities niet.
case-invite-submit = Uitnodigen
case-invite-nobody = Uw computer kent nog geen andere reviewers. Zodra hun profielen binnenkomen, kunt u ze hier kiezen.
case-invite-choose = Kies eerst wie u wilt uitnodigen.
case-invite-role = Kies of u iemand als reviewer of als supervisor uitnodigt.
case-invited = Uitgenodigd. Zodra de computer van de nieuwe deelnemer bereikbaar is, krijgt die de stukken.
case-removed = Verwijderd. De sleutels zijn vervangen.
case-lead-handed = De rol van hoofdreviewer is overgedragen.
case-only-lead = Alleen de hoofdreviewer kan dit doen.
case-action-refused = Dat kon niet: { $reason }
details-case-id = Casus
referral-open-case = De casus openen
referral-open-case-hint = U hebt deze verwijzing geaccepteerd. Open de casus: u wordt hoofdreviewer, en de leervraag, periode en organisaties van het verzoek gaan mee.
referral-open-case-submit = Casus openen

timeline-undated = Zonder datum
timeline-around = rond { $date }
timeline-new = Een gebeurtenis toevoegen
timeline-add = Toevoegen
timeline-edit = Bewerken
timeline-save = Wijzigingen bewaren
timeline-remove = Deze gebeurtenis verwijderen
timeline-date = Datum
timeline-precision = Hoe precies is de datum bekend?
precision-day = Op de dag
precision-month = Alleen de maand
precision-year = Alleen het jaar
precision-approximate = Ongeveer
timeline-actor = Wie (pseudoniem)
timeline-agency = Organisatie
timeline-what = Wat er gebeurde
timeline-what-missing = Beschrijf wat er gebeurde.
timeline-known-then = Wat men toen wist of dacht
timeline-known-then-hint = Het zicht van toen, zonder wat later bekend werd.
timeline-decision = Besluit of handeling
timeline-rationale = Waarom
timeline-perspective = Vanuit wiens perspectief
timeline-sources = Bronnen (gescheiden door komma's)
timeline-contested = Betwist
timeline-contested-label = De bronnen zijn het hierover niet eens
timeline-all = Alle
timeline-filter = Tonen
timeline-count = { $n ->
    [one] { $n } gebeurtenis
   *[other] { $n } gebeurtenissen
}
timeline-count-filtered = { $n ->
    [one] { $n } gebeurtenis past bij uw keuze
   *[other] { $n } gebeurtenissen passen bij uw keuze
}
timeline-empty = Nog geen gebeurtenissen. Voeg de eerste toe.
timeline-pages = Pagina's van de tijdlijn
timeline-previous = ← Eerder
timeline-next = Later →
timeline-page-of = Pagina { $page } van { $pages }
timeline-added = De gebeurtenis is toegevoegd. Uw collega's zien haar zodra hun computer bereikbaar is.
timeline-saved = Uw wijzigingen zijn bewaard.
timeline-removed = De gebeurtenis is verwijderd.
timeline-not-saved = Niet bewaard: bij het formulier staat wat er niet klopt. Wat u typte, staat er nog.
timeline-refused = Niet bewaard: { $reason }
timeline-gone = Deze gebeurtenis is intussen door een collega verwijderd. Er is niets veranderd.
case-remove-confirm = { $name } verwijderen uit deze casus? Diegene leest daarna niets nieuws meer mee.
timeline-remove-confirm = Deze gebeurtenis verwijderen, bij iedereen in de casus?

case-tab-report = Rapport
case-tab-audit = Verantwoording
report-reviewers-only = Het eindrapport wordt opgesteld door een reviewer: alleen diens computer heeft de notities waartegen het wordt gecontroleerd.
report-check = Controle op herleidbare gegevens
report-clean = Er staat niets in het rapport dat naar een persoon herleidt. U kunt het downloaden.
report-hits = { $n ->
    [one] Er staat { $n } gegeven in het rapport dat naar een persoon kan herleiden. Haal het weg, of sta het toe als het geen persoon aanwijst.
   *[other] Er staan { $n } gegevens in het rapport die naar een persoon kunnen herleiden. Haal ze weg, of sta ze toe als ze geen persoon aanwijzen.
}
report-remove = Weghalen (naar het veld)
report-allow = Toestaan
report-allow-hint = Wat u toestaat, wordt met het rapport vastgelegd in de verantwoording van de casus.
report-allowed = Toegestaan: { $texts }
report-blocked = { $n ->
    [one] Het rapport is niet opgesteld: er staat nog { $n } herleidbaar gegeven in.
   *[other] Het rapport is niet opgesteld: er staan nog { $n } herleidbare gegevens in.
}
report-download-md = Downloaden (Markdown)
report-download-html = Downloaden (HTML)
report-preview = Voorbeeld van het eindrapport
identifier-real-name = Echte naam
identifier-email = E-mailadres
identifier-phone = Telefoonnummer
identifier-bsn = Burgerservicenummer (BSN)
identifier-postcode-with-house-number = Postcode met huisnummer
identifier-date-of-birth = Geboortedatum
destroy-link = De werkstukken vernietigen…
destroy-title = De werkstukken vernietigen
destroy-too-early = Vernietigen kan vanaf stap 5 (rapportage), als het eindrapport klaar is.
destroy-what = Dit wist de analyse, de notities en de opmerkingen van deze casus op de computer van elke deelnemer. Dat kan niet ongedaan worden gemaakt. Deelnemers:
destroy-kept = Wat blijft: het eindrapport dat u downloadde, en de ondertekende verantwoording (wie wat deed en wanneer, zonder inhoud).
destroy-understood = Ik begrijp dat de werkstukken bij iedereen worden gewist.
destroy-submit = Vernietigen
destroy-tick = Vink eerst aan dat u begrijpt wat er wordt gewist.
destruction-title = De werkstukken zijn vernietigd
destruction-done = { $lead } vernietigde de werkstukken op { $date }.
destruction-confirmations = Bevestigingen van de deelnemers
destruction-confirmed = bevestigd op { $date }
destruction-waiting = nog niet bevestigd: hun computer doet dat zodra hij bereikbaar is
destruction-all = Iedereen heeft de vernietiging bevestigd.
audit-back = ← Terug naar de casus
audit-case = Casus
audit-verified = De verantwoording is gecontroleerd: elke regel is ondertekend en de keten klopt.
audit-not-verified = De verantwoording klopt niet: { $problem }
audit-opened = opende de casus als hoofdreviewer
audit-invited = nodigde { $member } uit als { $role }
audit-removed = verwijderde { $member } en verving de sleutels
audit-lead = droeg de rol van hoofdreviewer over aan { $member }
audit-destroyed = vernietigde de werkstukken
audit-exported = exporteerde het document { $doc } ({ $format })
audit-reported = stelde het eindrapport op ({ $format })
audit-overrides = { $n ->
    [one] en stond { $n } herleidbaar gegeven toe
   *[other] en stond { $n } herleidbare gegevens toe
}
audit-confirmed = bevestigde de vernietiging op de eigen computer

comments-label = Opmerkingen
comments-open = { $n ->
    [one] { $n } open punt
   *[other] { $n } open punten
}
comment-question = Vraag
comment-challenge = Kritische vraag
comment-approval = Instemming
comment-answer = Antwoord
comment-resolved = afgehandeld
comment-answer-text = Uw antwoord
comment-answer-submit = Antwoord plaatsen
comment-resolve = Afgehandeld
comment-reopen = Weer openen
comment-new = Opmerking plaatsen
comment-kind = Soort opmerking
comment-text = Uw opmerking
comment-submit = Plaatsen
comment-text-missing = Schrijf eerst uw opmerking.
case-tab-notes = Notities
notes-intro = Notities van gesprekken en uittreksels uit dossiers. Ze mogen namen bevatten en blijven daarom bij de reviewers: een supervisor ziet ze niet, en ze gaan nooit in het rapport.
note-new = Een notitie toevoegen
note-kind = Soort
note-interview = Gesprek
note-file-extract = Uittreksel uit een dossier
note-other = Anders
note-title = Titel
note-participant = Over of van (pseudoniem)
note-text = Notitie
note-add = Notitie bewaren
note-added = De notitie is bewaard.
note-empty = Geef de notitie een titel of een tekst.
settings-notify = Meldingen
settings-notify-hint = Laat uw browser een melding tonen bij een nieuwe verwijzing of als er iets verandert in een casus, terwijl samenloop op de achtergrond openstaat. De melding noemt alleen dat er iets is, niet wat.
settings-notify-enable = Meldingen aanzetten
settings-notify-on = Meldingen staan aan.
settings-notify-denied = Uw browser staat meldingen van samenloop niet toe. U kunt dat in de instellingen van de browser veranderen.
notify-referrals = Er is nieuws bij uw verwijzingen.
notify-case = Er is iets veranderd in een van uw casussen.

case-tab-analysis = Analyse
analysis-parts = Onderdelen van de analyse
analysis-none = Nog niets vastgelegd.
analysis-untitled = (zonder titel)
analysis-link-gone = (verwijderd)
analysis-nothing-to-link = Er is nog niets om naar te verwijzen.
analysis-one-per-line = Eén per regel.
analysis-remove = Verwijderen
analysis-remove-confirm = Dit onderdeel verwijderen, bij iedereen in de casus?
analysis-gone = Dit onderdeel is intussen door een collega verwijderd. Er is niets veranderd.
analysis-participants = Deelnemers aan de casus
analysis-participants-hint = Iedereen die in de casus een rol had, alleen met een pseudoniem (zoals GI-1 of M1). Echte namen horen in de notities.
analysis-participant-new = Een deelnemer toevoegen
analysis-sources = Bronnen
analysis-sources-hint = Waar de tijdlijn op rust: gesprekken, dossiers, bijeenkomsten, tijdlijnen van betrokkenen.
analysis-source-new = Een bron toevoegen
analysis-episodes = Sleutelmomenten
analysis-episodes-hint = Momenten in de casus waarop de praktijk ertoe deed: wat er toen gebeurde, gewaardeerd zonder wijsheid achteraf, en waarom het zo ging.
analysis-episode-new = Een sleutelmoment toevoegen
analysis-factors = Bijdragende factoren
analysis-factors-hint = Wat de praktijk in een sleutelmoment waarschijnlijker of minder waarschijnlijk maakte, op zes niveaus: van de persoon tot de keten.
analysis-factor-new = Een factor toevoegen
analysis-findings = Bevindingen
analysis-findings-hint = Wat de casus leert over het stelsel: in deze casus, en daarbuiten, met vragen aan de organisaties.
analysis-finding-new = Een bevinding toevoegen
analysis-recommendations = Aanbevelingen
analysis-recommendations-hint = Wat de organisaties kunnen doen, aan wie gericht, en hoe het ermee staat.
analysis-recommendation-new = Een aanbeveling toevoegen
field-participant-pseudonym = Pseudoniem
field-participant-role = Rol
field-participant-organisation = Organisatie
field-participant-group = Groep
field-source-description = Beschrijving
field-source-kind = Soort bron
field-source-provided_by = Aangeleverd door
field-source-date = Datum
field-episode-title = Titel
field-episode-period_from = Vanaf
field-episode-period_to = Tot en met
field-episode-timeline_entries = Gebeurtenissen op de tijdlijn
field-episode-appraisal = Waardering (zonder wijsheid achteraf)
field-episode-explanation = Verklaring: waarom ging het zo?
field-episode-good_practice = Dit is een voorbeeld van goede praktijk
field-factor-description = De factor
field-factor-level = Niveau
field-factor-episodes = Bij de sleutelmomenten
field-factor-evidence = Waaruit het blijkt
field-factor-pattern = Onderliggend patroon
field-finding-title = Titel
field-finding-pattern = Onderliggend patroon
field-finding-themes = Thema's
field-finding-in_this_case = In deze casus
field-finding-beyond_the_case = Buiten deze casus
field-finding-questions = Vragen aan de organisaties
field-recommendation-text = De aanbeveling
field-recommendation-addressee = Gericht aan
field-recommendation-follow_up = Stand van de opvolging
option-none = (nog niet gekozen)
option-yes = ja
option-case-group = Casusgroep
option-review-team = Reviewteam
option-family = Gezin
option-interview = Gesprek
option-file-extract = Uittreksel uit een dossier
option-meeting = Bijeenkomst
option-individual-timeline = Tijdlijn van een betrokkene
option-personal = Persoonlijk
option-professional = Professioneel
option-client-family = Cliënt en gezin
option-team = Team
option-organisation = Organisatie
option-chain = Keten
option-incidents-and-crises = Samenwerking bij incidenten en crises
option-longer-term-work = Samenwerking in langdurig werk
option-human-tool = Mens en hulpmiddel
option-human-management-system = Mens en managementsysteem
option-family-professional = Gezin en professional
option-innate-human-biases = Aangeboren menselijke denkfouten
option-parent-child-dilemma = Het ouder-kinddilemma
option-professional-practice = Professioneel handelen
option-chain-cooperation = Ketensamenwerking
option-youth-care-context = De context van de jeugdzorg
option-good-practice = Goede praktijk
option-other = Anders
option-open = Open
option-agreed = Toegezegd
option-in-progress = In uitvoering
option-done = Uitgevoerd
option-declined = Afgewezen
settings-network = Het netwerk
settings-trusted = Supervisors wier bevestiging u vertrouwt
settings-trusted-hint = De oprichtende supervisors van het netwerk. Een accreditatieniveau dat een van hen bevestigde, toont samenloop als bevestigd.
settings-no-supervisors = Uw computer kent nog geen supervisors.
settings-unknown-supervisor = Een supervisor die uw computer (nog) niet kent
settings-bootstrap = Adressen om het netwerk te bereiken
settings-bootstrap-hint = Eén adres per regel, zoals u het van het netwerk kreeg. Een nieuw adres wordt meteen geprobeerd.
settings-bootstrap-invalid = Dit is geen adres dat samenloop kan gebruiken: { $address }
reach-heading = Hoe anderen deze computer bereiken
reach-public = Bereikbaar vanaf internet: collega's maken rechtstreeks verbinding.
reach-behind-router-relayed = Achter een router die niets binnenlaat: collega's bereiken deze computer via het doorgeefpunt van het netwerk, dat versleutelde gegevens doorgeeft die het niet kan lezen. Waar beide routers het toelaten, wordt de verbinding vanzelf rechtstreeks.
reach-behind-router-alone = Achter een router die niets binnenlaat, en nog geen doorgeefpunt: collega's kunnen deze computer pas bereiken als er een is gevonden (vul hieronder het adres van het netwerk in).
reach-unknown = Nog onbekend: samenloop zoekt uit of collega's deze computer kunnen bereiken.
reach-connected = { $n ->
    [0] Nog met geen enkele computer in het netwerk verbonden.
    [one] Verbonden met { $n } computer in het netwerk.
   *[other] Verbonden met { $n } computers in het netwerk.
}
reach-relayed = { $n ->
    [one] Daarvan { $n } via het doorgeefpunt.
   *[other] Daarvan { $n } via het doorgeefpunt.
}
reach-mailbox = Als deze computer uit staat, laten collega's versleutelde berichten en wijzigingen achter in de postbus van het netwerk; die komen binnen zodra hij weer aan staat. De postbus kan ze niet lezen.
reach-no-mailbox = Geen postbus: berichten en wijzigingen komen alleen binnen als deze computer tegelijk aan staat met die van de afzender.
reach-serving = Deze computer is ook doorgeefpunt of postbus voor het netwerk.
settings-network-save = Netwerk bewaren
settings-network-saved = Bewaard. Het geldt meteen, en ook na een herstart.
settings-network-not-kept = Het geldt nu, maar kon niet worden bewaard voor een herstart: { $reason }
