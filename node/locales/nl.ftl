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
