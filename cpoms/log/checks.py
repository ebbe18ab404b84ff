"""The gentle check on save: points that reviewers of school records find again and
again. It only ever warns; the person recording decides, and a second save stands."""

from __future__ import annotations

import re

SHORT_WORDS = 15

# Capitals that are not someone's initials: school and agency words, and short
# words written in capitals (a child's shout quoted in the narrative).
NOT_INITIALS = frozenset(
    """
    SEN SEND SENCO SENDCO DSL DDSL SLT PE RE TA HLTA LSA MDSA SMSA ICT IT DT PSHE RSE EHCP EYFS KS
    SATS PPA PTA HT DHT CEO UK GP NHS CSC MASH LADO CAMHS ASD ADHD OT SALT CP CIN TAC TAF EHA DV FGM
    CSE CCE PCSO AM PM BST GMT TV PC ID OK WC MFL CPR DFE LA SW YOS EAL FSM PP CLA LAC PLAC
    A AN AS AT BE BY DO GO HE IF IN IS ME MY NO OF ON OR SO TO UP US WE
    ALL AND ARE BUT CAN DAD DID FOR GET GOT HAS HER HIM HIS HOW ITS LET MUM NAN NOT NOW OFF OUT SAY
    SHE THE TOO WAS WAY WHO WHY YES YOU
""".split()
)
CAPITALS = re.compile(r"\b[A-Z]{2,3}\b")
DOTTED = re.compile(r"(?<![\w.])(?:[A-Z]\.\s?){2,3}(?!\w)")


def initials_used(text: str) -> list[str]:
    """What look like people's initials ("JS said", "told by A.B."), in order, once each."""
    found: list[str] = []
    for match in (*CAPITALS.finditer(text), *DOTTED.finditer(text)):
        word = match.group().strip()
        if word.replace(".", "").replace(" ", "") in NOT_INITIALS or word in found:
            continue
        found.append(word)
    return found


def record_warnings(narrative: str, child_words: str | None, source: str | None) -> list[str]:
    warnings = []
    if len(narrative.split()) < SHORT_WORDS:
        warnings.append(
            "The account is very short. Could you add when and where it happened, "
            "who was there, and what you saw and heard?"
        )
    initials = initials_used(narrative)
    if initials:
        shown = ", ".join(initials[:5])
        warnings.append(
            f"It looks as if initials are used for people ({shown}). Please write full "
            "names: years from now, nobody may know who initials meant."
        )
    if source == "pupil_disclosure" and not (child_words or "").strip():
        warnings.append(
            "This is a pupil disclosure, but the child's own words are empty. If you "
            "can, write what the child said, exactly as they said it."
        )
    return warnings
