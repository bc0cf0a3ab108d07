# samenloop: the app's texts in English.
# Every key is also in nl.ftl; a test fails when one is missing.

skip-to-content = Skip to content
nav-label = Main menu
nav-home = Overview
language-switch = Nederlands
sign-out = Sign out
footer-local = samenloop runs on this computer. Your data stays encrypted and goes only to the people you review with.

signin-needed-title = Open samenloop from the app
signin-needed-body = Start samenloop from your computer's menu (or type samenloop in a terminal). This page then opens by itself, and you are signed in.
signin-link-title = This link no longer works
signin-link-used = This sign-in link has been used already. Each link works once.
signin-link-expired = This sign-in link has expired. A link works for two minutes.
signed-out-title = You are signed out

welcome-title = Welcome to samenloop
welcome-intro = First we make your keys. You sign everything you share with them, and only you can open them, with your passphrase.
welcome-name = Your name
welcome-name-hint = As colleagues know you. This name is shown in your profile.
welcome-name-missing = Enter your name.
welcome-name-invalid = This name cannot be used: { $reason }
welcome-passphrase = Passphrase
welcome-passphrase-hint = At least { $min } characters. A sentence of a few words is strong and easy to remember.
welcome-passphrase-missing = Choose a passphrase.
welcome-passphrase-short = The passphrase is too short: use at least { $min } characters.
welcome-repeat = Repeat the passphrase
welcome-repeat-differs = The two passphrases differ. Type both again.
welcome-language = Language
welcome-warning = Keep your passphrase safe. Without it nobody can open your keys, not even us.
welcome-submit = Make my keys and start
welcome-failed = Making your keys failed: { $reason }

strength-too-short = Too short
strength-fair = Fair: longer is better
strength-strong = Strong

unlock-title = Unlock samenloop
unlock-intro = Your keys are locked. Enter your passphrase to continue.
unlock-passphrase = Passphrase
unlock-submit = Unlock
unlock-wrong = This passphrase is not right. Try again; after each mistake it takes a little longer before you can.
unlock-passphrase-missing = Enter your passphrase.
unlock-failed = Unlocking failed: { $reason }
unlock-damaged = The key file { $path } is damaged or was altered, and was not used. Restore it from a backup. (Details: { $reason })

home-title = What needs your attention
home-problem = Not everything could be fetched: { $reason }
home-referrals = Referrals waiting for your answer
home-referrals-none = No referrals are waiting for you.
home-referral-from = Request from { $requester }
home-referral-received = received on { $date }
home-referral-respond-by = answer by { $date }
home-unknown-requester = a requester
home-cases = Your cases
home-cases-none = You are not working on a case yet.
home-case-untitled = Untitled case (the documents are still arriving)
home-case-members = { $n ->
    [one] { $n } member
   *[other] { $n } members
}
home-case-removed = You were removed from this case.
home-case-step = Step { $step } of 6

step-1 = Orientation
step-2 = Exploration
step-3 = Dialogue
step-4 = Translating insights
step-5 = Reporting
step-6 = Follow-up

role-lead = Lead reviewer
role-co-reviewer = Co-reviewer
role-supervisor = Supervisor
role-removed = Removed

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

nav-referrals = Referrals
not-found-title = Not found
not-found-body = This is not (or no longer) on your computer. Go back to the overview.
failure-title = That did not work
failure-body = samenloop could not do this just now. Try again in a moment; if it keeps failing, look in your node's log.
failure-detail = Message: { $detail }
details = Details
details-referral-id = Referral
details-request-id = Request
details-requester-id = Requester (peer id)

referrals-title = Referrals
referrals-waiting = Waiting for your answer
referrals-answered = Answered or closed
referrals-answered-none = None yet.
referral-back = ← All referrals
referral-state-offered = Waiting for your answer
referral-state-accepted = Accepted on { $date }
referral-state-declined = Declined on { $date }
referral-state-expired = Expired on { $date }
referral-state-withdrawn = Withdrawn by the requester on { $date }
referral-answer = Your answer
referral-conflict-legend = Conflict-of-interest declaration
referral-conflict-hint = You are independent if you do not work, and did not work in the last three years, for any organisation involved, and have no other tie to the case.
referral-conflict-none = I declare that there is no conflict of interest.
referral-conflict-possible = There may be a conflict of interest; the requester weighs it.
referral-conflict-describe = Describe the possible conflict of interest
referral-conflict-missing = Describe the possible conflict of interest, or declare that there is none.
referral-conflict-choose = Choose one of the two declarations.
referral-accept = Accept
referral-decline-reason = Reason to decline
referral-reason-missing = Give a reason; the requester sees it.
referral-decline = Decline
referral-answer-refused = Your answer was not sent: { $reason }
referral-request = The request

q1 = 1. Why is a learning review considered?
q2 = 2. What is the learning question?
q3 = 3. Which organisations are involved?
q4 = 4. The municipality's role?
q5 = 5. The youth inspectorates' role?
q6 = 6. The context of the case
q7 = 7. What information is already available?
q8 = 8. Can family members be involved in the review?
q9 = 9. What needs attention regarding privacy?
q10 = 10. Urgency and time available
q11 = 11. Who is the contact person?
q12 = 12. Arrangements about the costs
q13 = 13. What is expected of the review's result?
q14 = 14. How, and to whom, is the review reported?
request-period = Period the review covers: { $period }
request-when = Start and end: { $period }
request-budget = { $hours ->
    [one] Budget: { $hours } reviewer hour
   *[other] Budget: { $hours } reviewer hours
}
request-variant = Kind of review
request-reviewers = Number of reviewers
request-expertise = Expertise wanted
request-language = Language
request-region = Region
variant-full = Full learning review
variant-mid-range = Mid-range review
variant-focused = Focused review (one day)
variant-themed = Themed review

organisation-youth-care = youth care
organisation-child-protection = child protection and youth probation
organisation-veilig-thuis = Veilig Thuis (domestic violence and child abuse advice)
organisation-neighbourhood-team = neighbourhood team
organisation-mental-health = mental health care
organisation-youth-health = youth health care
organisation-education = education
organisation-police = police
organisation-justice = justice
organisation-health-care = health care
organisation-municipality = municipality
organisation-other = other

language-nl = Dutch
language-en = English
language-de = German
language-fr = French
language-ar = Arabic
language-tr = Turkish
language-pl = Polish
referral-answer-problem = Your answer has not been sent: something is missing. Go to your answer.
live-changed = Something about this referral changed meanwhile.
live-reload = Reload the page

nav-directory = Find reviewers
directory-title = Find reviewers
directory-back = ← Back to the search
search-label = Search for reviewers
search-filters = What are you looking for?
search-expertise = Expertise
search-expertise-hint = The reviewer must have every expertise ticked.
search-other-tags = Other expertise (separated by commas)
search-region = Region
search-language = Speaks the language
search-any = Any
search-available-on = Available on
search-min-hours = At least this many hours a month
search-text = Search in name, description and organisations
search-submit = Search
search-date-invalid = This is not a date. Pick a day in the calendar.
search-hours-invalid = Enter a whole number of hours, such as 8.
search-found = { $n ->
    [one] { $n } reviewer found
   *[other] { $n } reviewers found
}
search-all = { $n ->
    [one] { $n } reviewer
   *[other] All { $n } reviewers
}
search-directory-size = { $n ->
    [one] Your computer knows { $n } reviewer in the network.
   *[other] Your computer knows { $n } reviewers in the network.
}
search-none = No reviewer matches everything you are looking for. Leave out a filter to see more.
hours-per-month = { $hours ->
    [one] { $hours } hour a month
   *[other] { $hours } hours a month
}
availability-open = availability not given
availability-from = available from { $date }
availability-until = available until { $date }
availability-between = available { $period }
level-trainee = Reviewer in training
level-accredited = Accredited reviewer
level-supervisor = Supervisor
accreditation-verified = { $level } (confirmed by a supervisor)
accreditation-self-declared = { $level } (self-declared, not confirmed)
profile-about = About this reviewer
profile-expertise = Expertise
profile-regions = Regions
profile-languages = Languages
profile-hours = Time
profile-availability = Availability
profile-rate = Hourly rate
profile-rate-value = € { $rate } an hour
profile-affiliations = Organisations
profile-affiliations-hint = Where this reviewer works or worked. Independence is checked against these.
profile-affiliations-none = No organisations given.
affiliation-since = since { $date }
affiliation-until = until { $date }
details-peer-id = Peer id
details-revision = Profile version
details-valid-until = Valid until

problem-required = Fill this in.
problem-too-long = { $max ->
    [one] This can be at most { $max } character long.
   *[other] This can be at most { $max } characters long.
}
problem-control-characters = This holds characters that cannot be used (such as tabs or invisible characters).
problem-too-many = { $max ->
    [one] At most { $max }.
   *[other] At most { $max }.
}
problem-invalid-tag = Use lowercase letters and hyphens, such as jeugdbescherming or veilig-thuis.
problem-duplicate = Something is listed twice here.
problem-invalid-language = Use the language code, such as nl or en.
problem-invalid-item = { $max ->
    [one] Each item must be 1 character long.
   *[other] Each item must be 1 to { $max } characters long.
}
problem-too-high = At most { $max }.
problem-too-low = At least { $min }.
problem-ends-before-start = The end is before the start.
problem-other = This is not right ({ $detail }).

nav-profile = My profile
my-profile-title = My profile
my-profile-saved = Your profile is signed and published. Other reviewers and requesters see it now.
my-profile-problems = Your profile has not been published: one or more fields say what is not right.
my-profile-published = This is what the network knows about you. Saving signs and publishes it at once.
my-profile-not-published = Your profile has not been published yet. Complete it and save it; then requesters can find you.
my-profile-bio = About you
my-profile-bio-hint = A few sentences about your background and your experience with reviews.
my-profile-regions = Regions you work in (separated by commas)
my-profile-other-languages = Other languages (language codes, separated by commas)
my-profile-hours = Hours a month available for reviews
my-profile-available-from = Available from
my-profile-available-until = Available until
my-profile-rate = Hourly rate in euros (leave empty if you prefer not to say)
my-profile-organisation = Organisation
my-profile-from = From
my-profile-until = Until (empty: still)
my-profile-level = Accreditation
my-profile-level-hint = A level above in training is confirmed by a supervisor.
my-profile-save = Save and publish
profile-verdict-verified = Your current level is confirmed.
profile-verdict-self-declared = Your current level has not been confirmed by a supervisor yet.
form-date-invalid = This is not a date. Pick a day in the calendar.
form-number-invalid = Enter a whole number, such as 16.
form-amount-invalid = Enter an amount, such as 130 or 130.50.
my-profile-affiliations-hint = Where you work or worked in recent years. Your independence is checked against these: you get no request about a case that involves such an organisation.

nav-settings = Settings
settings-title = Settings
settings-language-legend = Which language do you want to use samenloop in?
settings-language-save = Save the language
settings-passphrase = Change the passphrase
settings-passphrase-hint = Your keys are encrypted again under the new passphrase. The old one no longer works afterwards.
settings-current = Current passphrase
settings-new = New passphrase
settings-passphrase-save = Change the passphrase
settings-passphrase-saved = Your passphrase has been changed. Use the new one from now on.
settings-current-wrong = This is not your current passphrase. Nothing was changed.
settings-passphrase-failed = The change failed; your old passphrase still works: { $reason }

nav-requests = Requests
requests-title = Requests
requests-intro = Here you, as a commissioning organisation (municipality or youth-care organisation), ask for a learning review and refer the request to independent reviewers.
requests-new = New request
requests-mine = Your requests
requests-none = You have not made a request yet.
requests-created = made on { $date }
requests-back = ← All requests
request-title = Request for { $municipality }
request-status-new = Not yet referred
request-status-complete = Every reviewer needed has accepted
request-status-open = { $n ->
    [one] { $n } waiting for an answer
   *[other] { $n } waiting for an answer
}
request-status-accepted = { $n } accepted
request-new-title = Request a learning review
request-new-intro = The questions below are the method's orientation questions. They help you and the reviewers see whether a learning review fits. Not every question needs a long answer; the explanations give direction.
request-new-problems = Your request has not been saved yet: the questions concerned say what is wrong. What you typed is still there.
request-new-submit = Save the request
form-answer = Your answer
form-learning-question = The learning question
form-period-from = The period under review: from
form-period-until = to
form-municipality = The municipality, and its role
form-desired-start = The review can start on
form-desired-end = The review must be finished by
form-budget-hours = Budgeted hours for all reviewers together
form-organisation = Organisation
form-organisation-kind = Kind of organisation
form-organisation-more = More organisations? Save; new empty rows will appear.
form-needs = What reviewers are you looking for?
form-needs-hint = samenloop uses this to find reviewers who fit and are independent.
form-region = Region of the case
form-date-missing = Enter a date.
q1-hint =
    What makes you consider a learning review?
    Is it about a specific incident, a specific theme, or cooperation in the chain of care?
    Do you want experience with learning reviews, or more knowledge of them in your organisation?
    Is there an external cause for a learning review?
q2-hint =
    What is the learning question in general, and how does the case fit in?
    Which period should the review cover? Was there a particular focus in that period?
    What can those involved in the case learn? And the organisation(s)?
q3-hint =
    Which organisations are directly involved? Do they know you are considering a learning review?
    Are other organisations involved?
    For a themed review: who else should take part?
q4-hint =
    Under the Youth Act a municipality is usually involved.
    Does the municipality know about the case? Did it play a part in the case?
    Does the municipality support learning reviews?
q5-hint =
    Serious incidents must be reported to the youth inspectorates.
    Does the inspectorate know about the case? Has a report been made to it?
    Does that give leads for the review? Does the inspectorate support a learning review?
q6-hint =
    After a serious incident there may be questions of blame, or an investigation.
    Does that concern one of the professionals, or one of the organisations?
    Is an investigation under way, for instance a disciplinary one? Are there sensitivities or conflicts?
q7-hint =
    The documents that matter if the review goes ahead. They need not be sent yet.
    Which documents are they? What information is still to be gathered, and who sees to it?
    Who else can provide important information?
q8-hint =
    As a rule family members should be informed.
    Is there a reason not to inform them? A reason for them to take part? Which family members?
    Does the family need extra support for it?
q9-hint =
    Privacy-sensitive information must be handled with care; participants are expected to agree to that.
    Must the client be asked for consent? Must the documents to be discussed be anonymised?
q10-hint =
    A learning review usually takes 4 to 6 months.
    When could the review start, and when must it be finished?
q11-hint =
    Who is the contact for documents?
    Who is the contact for appointments, with the authority that goes with it?
    Are there preferred times in the week for review meetings, or times that are blocked?
q12-hint =
    A learning review costs money; a quote is made after the orientation.
    Is the municipality willing to bear (part of) the costs? Which of the organisations involved are?
    Who receives the invoices?
q13-hint =
    When will the learning review be a success?
    Are there ideas on how the learning can be put to further use?
q14-hint =
    To whom is the final report addressed?
    Will it be spread further, and to whom?

request-referrals = Referrals
request-referrals-none = This request has not been referred to reviewers yet. Choose below whom to ask.
outgoing-issued = referred on { $date }
outgoing-at-mailbox = Waiting, sealed, in the reviewer's mailbox: their computer was not reachable. They receive it as soon as it is on again.
outgoing-undelivered = Not yet delivered: the reviewer's computer could not be reached. samenloop keeps trying.
outgoing-offered = Waiting for an answer
outgoing-accepted = Accepted on { $date }
outgoing-conflict = Reports a possible conflict of interest: { $conflict }
outgoing-declined = Declined on { $date }
outgoing-reason = Reason: { $reason }
outgoing-expired = Not answered, expired on { $date }
outgoing-withdrawn = Withdrawn by you on { $date }
request-withdraw = Withdraw the open referrals
request-withdraw-hint = The reviewers are told the request no longer stands for them.
request-complete = Enough reviewers have accepted. The lead reviewer opens the case.
request-referred = Referred. The reviewers now receive the request on their computers.
request-withdrawn = The open referrals have been withdrawn.
match-title = Reviewers who fit
match-intro = samenloop searches the profiles your computer knows. Anyone who works, or worked in the last three years, for an organisation involved is excluded; each shows why.
match-pair = Proposed pair
match-none = No reviewer fits at the moment. See below why, or adjust the needs in a new request.
match-candidates = Candidates, best fit first
match-score = { $score } points
match-profile = View profile
match-excluded = Excluded
match-failed = Searching for reviewers failed: { $reason }
refer-respond-by = Answer asked for by
refer-pair = Refer to this pair
refer-chosen = Refer to the reviewers ticked
refer-next = Refer to the next candidate
refer-date-invalid = This is not a date. Pick a day in the calendar.
refer-choose = Tick one or more reviewers first.
refer-refused = Not referred: { $reason }
pair-names = { $a } and { $b }
pair-score = { $total } points together ({ $bonus } of them because they complement each other)
pair-covers = Together they have { $covered } of the { $wanted } kinds of expertise asked for: { $tags }
pair-lead-verified = { $name } is { $level } (confirmed)
pair-lead-self-declared = { $name } is { $level } (self-declared: no pair with a confirmed level exists)
reason-expertise = Has { $covered } of the { $wanted } kinds of expertise asked for
reason-region = Works in the region
reason-nationwide = Works nationwide
reason-trainee-needs-lead = In training: works beside an accredited reviewer
reason-capacity = Has { $offered } hours a month, about { $needed } needed
reason-partial = Available for { $percent }% of the period asked for
reason-interest = Answered the call for reviewers
reason-fairness = { $n ->
    [one] Recently received { $n } referral (work is spread)
   *[other] Recently received { $n } referrals (work is spread)
}
outcome-offered = still waiting for an answer
outcome-accepted = accepted
outcome-declined = declined
outcome-expired = expired
outcome-withdrawn = withdrawn
excluded-requester = Is the requester
excluded-conflict = Conflict of interest: works for { $affiliation } (involved: { $organisation })
excluded-conflict-past = Conflict of interest: worked for { $affiliation } until { $until }, less than three years ago (involved: { $organisation })
excluded-language = Does not speak { $language }
excluded-not-available = Not available in the period asked for
excluded-hours = Has { $offered } hours a month; the request needs about { $needed } per reviewer
excluded-referred = Already referred for this request ({ $outcome })
history-title = History
history-verified = Every step is signed by you and the chain holds.
history-not-verified = Warning: the signed history of this request does not verify.
history-created = Request drawn up
history-offered = Referred to { $reviewer }
history-delivered = Delivered to { $reviewer }
history-refused = Not taken by { $reviewer }'s computer
history-accepted = Accepted by { $reviewer }
history-declined = Declined by { $reviewer }
history-expired = Expired without an answer from { $reviewer }
history-withdrawn = Withdrawn from { $reviewer }
history-call = Call for reviewers posted
history-interest = { $reviewer } answered the call
history-other = Changed

nav-cases = Cases
cases-title = Cases
cases-back = ← All cases
cases-open-own = Open a case without a referral
cases-open-own-hint = Usually you open a case from an accepted referral; the case then takes over the learning question, the period and the organisations. Here you open one with only a title.
cases-open-title = Title of the case
cases-open-submit = Open the case
case-default-title = Learning review { $municipality }
case-open-title-missing = Give the case a title, or open it from an accepted referral.
case-tabs = Parts of the case
case-tab-overview = Overview
case-tab-timeline = Timeline
case-analysis-not-arrived = This case's documents are still arriving from the other members. They will appear here by themselves.
case-analysis-unreadable = This case's analysis cannot be read on your computer: { $reason }. Nothing has been changed.
case-live-changed = A colleague has changed something meanwhile. What you typed is still here; reload the page when you are done.
case-scope = What the review is about
case-scope-none = This case was opened without a referral: no learning question was taken over.
case-period = Period
case-organisations = Organisations involved
case-steps = The six steps
case-step-move = Move to step
case-step-save = Record the step
case-step-choose = Choose a step from 1 to 6.
case-step-saved = The step has been recorded, dated today.
case-members = Members
case-you = you
case-member-since = since { $date }
case-member-unknown = Unknown member
case-hand-lead = Make { $name } lead reviewer
case-remove = Remove { $name }
case-remove-explained = Someone you remove reads nothing new: the keys of the documents they could read are replaced, and only the remaining members receive the new ones.
case-invite = Invite someone
case-invite-who = Who
case-invite-pick = Choose a reviewer
case-invite-as = As
case-invite-hint = A reviewer works on the analysis and reads the notes; a supervisor reads the analysis and comments, but never sees the notes.
case-invite-submit = Invite
case-invite-nobody = Your computer does not know other reviewers yet. As soon as their profiles arrive, you can choose them here.
case-invite-choose = First choose whom to invite.
case-invite-role = Choose whether you invite someone as reviewer or as supervisor.
case-invited = Invited. As soon as the new member's computer can be reached, it receives the documents.
case-removed = Removed. The keys have been replaced.
case-lead-handed = The lead role has been handed over.
case-only-lead = Only the lead reviewer can do this.
case-action-refused = That could not be done: { $reason }
details-case-id = Case
referral-open-case = Open the case
referral-open-case-hint = You accepted this referral. Open the case: you become the lead reviewer, and the request's learning question, period and organisations come along.
referral-open-case-submit = Open the case

timeline-undated = Undated
timeline-around = around { $date }
timeline-new = Add an event
timeline-add = Add
timeline-edit = Edit
timeline-save = Save changes
timeline-remove = Remove this event
timeline-date = Date
timeline-precision = How precisely is the date known?
precision-day = To the day
precision-month = Only the month
precision-year = Only the year
precision-approximate = Roughly
timeline-actor = Who (pseudonym)
timeline-agency = Organisation
timeline-what = What happened
timeline-what-missing = Describe what happened.
timeline-known-then = What was known or believed then
timeline-known-then-hint = The view from then, without what became known later.
timeline-decision = Decision or action
timeline-rationale = Why
timeline-perspective = From whose perspective
timeline-sources = Sources (separated by commas)
timeline-contested = Contested
timeline-contested-label = The sources disagree about this
timeline-all = All
timeline-filter = Show
timeline-count = { $n ->
    [one] { $n } event
   *[other] { $n } events
}
timeline-count-filtered = { $n ->
    [one] { $n } event matches your choice
   *[other] { $n } events match your choice
}
timeline-empty = No events yet. Add the first.
timeline-pages = Pages of the timeline
timeline-previous = ← Earlier
timeline-next = Later →
timeline-page-of = Page { $page } of { $pages }
timeline-added = The event has been added. Your colleagues see it as soon as their computers can be reached.
timeline-saved = Your changes have been saved.
timeline-removed = The event has been removed.
timeline-not-saved = Not saved: the form says what is wrong. What you typed is still here.
timeline-refused = Not saved: { $reason }
timeline-gone = A colleague has removed this event meanwhile. Nothing has been changed.
case-remove-confirm = Remove { $name } from this case? They will read nothing new after this.
timeline-remove-confirm = Remove this event, for everyone in the case?

case-tab-report = Report
case-tab-audit = Audit trail
report-reviewers-only = The final report is drawn up by a reviewer: only their computer holds the notes it is checked against.
report-check = Check for identifying details
report-clean = Nothing in the report points to a person. You can download it.
report-hits = { $n ->
    [one] The report holds { $n } detail that may identify a person. Remove it, or allow it if it identifies no one.
   *[other] The report holds { $n } details that may identify a person. Remove them, or allow them if they identify no one.
}
report-remove = Remove (to the field)
report-allow = Allow
report-allow-hint = What you allow is recorded with the report in the case's audit trail.
report-allowed = Allowed: { $texts }
report-blocked = { $n ->
    [one] The report was not drawn up: { $n } identifying detail is still in it.
   *[other] The report was not drawn up: { $n } identifying details are still in it.
}
report-download-md = Download (Markdown)
report-download-html = Download (HTML)
report-preview = Preview of the final report
identifier-real-name = Real name
identifier-email = E-mail address
identifier-phone = Phone number
identifier-bsn = Citizen service number (BSN)
identifier-postcode-with-house-number = Postcode with house number
identifier-date-of-birth = Date of birth
destroy-link = Destroy the working documents…
destroy-title = Destroy the working documents
destroy-too-early = Destruction is possible from step 5 (reporting), once the final report is ready.
destroy-what = This erases the analysis, the notes and the comments of this case on every member's computer. It cannot be undone. Members:
destroy-kept = What remains: the final report you downloaded, and the signed audit trail (who did what and when, without content).
destroy-understood = I understand that the working documents are erased for everyone.
destroy-submit = Destroy
destroy-tick = First tick that you understand what is erased.
destruction-title = The working documents have been destroyed
destruction-done = { $lead } destroyed the working documents on { $date }.
destruction-confirmations = Confirmations from the members
destruction-confirmed = confirmed on { $date }
destruction-waiting = not yet confirmed: their computer does so as soon as it can be reached
destruction-all = Everyone has confirmed the destruction.
audit-back = ← Back to the case
audit-case = Case
audit-verified = The audit trail has been checked: every line is signed and the chain holds.
audit-not-verified = The audit trail does not verify: { $problem }
audit-opened = opened the case as lead reviewer
audit-invited = invited { $member } as { $role }
audit-removed = removed { $member } and replaced the keys
audit-lead = handed the lead role to { $member }
audit-destroyed = destroyed the working documents
audit-exported = exported the { $doc } document ({ $format })
audit-reported = drew up the final report ({ $format })
audit-overrides = { $n ->
    [one] and allowed { $n } identifying detail
   *[other] and allowed { $n } identifying details
}
audit-confirmed = confirmed the destruction on their own computer

comments-label = Comments
comments-open = { $n ->
    [one] { $n } open point
   *[other] { $n } open points
}
comment-question = Question
comment-challenge = Challenge
comment-approval = Approval
comment-answer = Answer
comment-resolved = resolved
comment-answer-text = Your answer
comment-answer-submit = Post the answer
comment-resolve = Resolved
comment-reopen = Reopen
comment-new = Comment
comment-kind = Kind of comment
comment-text = Your comment
comment-submit = Post
comment-text-missing = Write your comment first.
case-tab-notes = Notes
notes-intro = Notes of conversations and extracts from case files. They may contain names and so stay with the reviewers: a supervisor does not see them, and they never go into the report.
note-new = Add a note
note-kind = Kind
note-interview = Conversation
note-file-extract = Extract from a case file
note-other = Other
note-title = Title
note-participant = About or from (pseudonym)
note-text = Note
note-add = Save the note
note-added = The note has been saved.
note-empty = Give the note a title or a text.
settings-notify = Notifications
settings-notify-hint = Let your browser show a notification when a referral arrives or something changes in a case, while samenloop is open in the background. The notification only says that there is something, not what.
settings-notify-enable = Turn notifications on
settings-notify-on = Notifications are on.
settings-notify-denied = Your browser does not allow notifications from samenloop. You can change that in the browser's settings.
notify-referrals = There is news about your referrals.
notify-case = Something changed in one of your cases.

case-tab-analysis = Analysis
analysis-parts = Parts of the analysis
analysis-none = Nothing recorded yet.
analysis-untitled = (untitled)
analysis-link-gone = (removed)
analysis-nothing-to-link = There is nothing to link to yet.
analysis-one-per-line = One per line.
analysis-remove = Remove
analysis-remove-confirm = Remove this, for everyone in the case?
analysis-gone = A colleague has removed this meanwhile. Nothing has been changed.
analysis-participants = Participants in the case
analysis-participants-hint = Everyone who had a part in the case, by pseudonym only (such as GI-1 or M1). Real names belong in the notes.
analysis-participant-new = Add a participant
analysis-sources = Sources
analysis-sources-hint = What the timeline rests on: conversations, case files, meetings, timelines of those involved.
analysis-source-new = Add a source
analysis-episodes = Key practice episodes
analysis-episodes-hint = Moments in the case where practice mattered: what happened then, appraised without hindsight, and why it went that way.
analysis-episode-new = Add an episode
analysis-factors = Contributing factors
analysis-factors-hint = What made practice in an episode more or less likely, at six levels: from the person to the chain.
analysis-factor-new = Add a factor
analysis-findings = Findings
analysis-findings-hint = What the case teaches about the system: in this case and beyond, with questions for the organisations.
analysis-finding-new = Add a finding
analysis-recommendations = Recommendations
analysis-recommendations-hint = What the organisations can do, addressed to whom, and where it stands.
analysis-recommendation-new = Add a recommendation
field-participant-pseudonym = Pseudonym
field-participant-role = Role
field-participant-organisation = Organisation
field-participant-group = Group
field-source-description = Description
field-source-kind = Kind of source
field-source-provided_by = Provided by
field-source-date = Date
field-episode-title = Title
field-episode-period_from = From
field-episode-period_to = To
field-episode-timeline_entries = Events on the timeline
field-episode-appraisal = Appraisal (without hindsight)
field-episode-explanation = Explanation: why did it go this way?
field-episode-good_practice = This is an example of good practice
field-factor-description = The factor
field-factor-level = Level
field-factor-episodes = In the episodes
field-factor-evidence = What shows it
field-factor-pattern = Underlying pattern
field-finding-title = Title
field-finding-pattern = Underlying pattern
field-finding-themes = Themes
field-finding-in_this_case = In this case
field-finding-beyond_the_case = Beyond this case
field-finding-questions = Questions for the organisations
field-recommendation-text = The recommendation
field-recommendation-addressee = Addressed to
field-recommendation-follow_up = Follow-up
option-none = (not chosen yet)
option-yes = yes
option-case-group = Case group
option-review-team = Review team
option-family = Family
option-interview = Conversation
option-file-extract = Extract from a case file
option-meeting = Meeting
option-individual-timeline = Timeline of someone involved
option-personal = Personal
option-professional = Professional
option-client-family = Client and family
option-team = Team
option-organisation = Organisation
option-chain = Chain
option-incidents-and-crises = Working together in incidents and crises
option-longer-term-work = Working together in longer-term work
option-human-tool = Human and tool
option-human-management-system = Human and management system
option-family-professional = Family and professional
option-innate-human-biases = Innate human biases
option-parent-child-dilemma = The parent-child dilemma
option-professional-practice = Professional practice
option-chain-cooperation = Cooperation in the chain
option-youth-care-context = The youth-care context
option-good-practice = Good practice
option-other = Other
option-open = Open
option-agreed = Agreed
option-in-progress = In progress
option-done = Done
option-declined = Declined
settings-network = The network
settings-trusted = Supervisors whose confirmation you trust
settings-trusted-hint = The network's founding supervisors. An accreditation level that one of them confirmed is shown as confirmed.
settings-no-supervisors = Your computer does not know any supervisors yet.
settings-unknown-supervisor = A supervisor your computer does not know (yet)
settings-bootstrap = Addresses to reach the network
settings-bootstrap-hint = One address per line, as the network gave it to you. A new address is tried at once.
settings-bootstrap-invalid = This is not an address samenloop can use: { $address }
reach-heading = How others reach this computer
reach-public = Reachable from the internet: colleagues connect to it directly.
reach-behind-router-relayed = Behind a router that lets nothing in: colleagues reach it through the network's relay, which passes on encrypted bytes it cannot read. Where both routers allow it, the connection becomes direct by itself.
reach-behind-router-alone = Behind a router that lets nothing in, and no relay yet: colleagues cannot reach this computer until it finds one (add the network's address below).
reach-unknown = Not known yet: samenloop is finding out whether colleagues can reach this computer.
reach-connected = { $n ->
    [0] Not connected to any computer in the network yet.
    [one] Connected to { $n } computer in the network.
   *[other] Connected to { $n } computers in the network.
}
reach-relayed = { $n ->
    [one] { $n } of them through the relay.
   *[other] { $n } of them through the relay.
}
reach-mailbox = While this computer is off, colleagues leave sealed messages and changes at the network's mailbox; they come in when it is on again. The mailbox cannot read them.
reach-no-mailbox = No mailbox: messages and changes reach this computer only while it is on at the same time as the sender's.
reach-serving = This computer also serves the network as relay or mailbox.
settings-network-save = Save the network
settings-network-saved = Saved. It applies at once, and after a restart too.
settings-network-not-kept = It applies now, but could not be kept for a restart: { $reason }
