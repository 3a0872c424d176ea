"""Synthetic demo letters in Hebrew, Arabic and English, and co-signers of a collective one. Every name
and unit here is invented; they are published through the same transitions as real letters, in bulk."""

import random
from datetime import datetime, timedelta

from . import letters, signatures
from .audit import Actor, AuditAction
from .models import Letter, utcnow

FIRST_NAMES = {
    "he": ["נועה", "יונתן", "מיכל", "איתי", "תמר", "עומר", "שירה", "אביב", "רוני", "דניאל", "יעל", "גיל", "מאיה", "אורי", "ליאור", "עדי"],
    "ar": ["سامي", "رامي", "نزار", "وسيم", "هاني", "فادي", "ماجد", "أمير", "كمال", "ربيع", "سليم", "جمال"],
    "en": ["Daniel", "Sarah", "Michael", "Rachel", "Jonathan", "Hannah", "David", "Leah", "Adam", "Miriam", "Ben", "Ruth"],
}
LAST_NAMES = {
    "he": ["כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם", "פרידמן", "שפירא", "גולן", "רוזן", "בן דוד", "אלון", "שחר", "קליין"],
    "ar": ["حلبي", "قاسم", "عزام", "نصر الدين", "أبو ركن", "خير", "سعد", "حسون", "زيدان", "منصور"],
    "en": ["Cohen", "Levin", "Goldberg", "Stein", "Rosen", "Katz", "Weiss", "Shapiro", "Adler", "Brenner"],
}
DESCRIPTORS = {
    "he": ["סרן (מיל׳), חיל השריון", "רס״ל (מיל׳), גדוד 7021", "טייס קרב במילואים", "לוחמת במילואים, חיל ההנדסה", "רופא גדודי במילואים", "סמל ראשון (מיל׳), חטיבת חי״ר", "קצינת מודיעין במילואים", None],
    "ar": ["رقيب أول في الاحتياط", "ضابط احتياط، سلاح المدفعية", "مسعف في الاحتياط", "جندي احتياط، كتيبة 5310", None],
    "en": ["Reserve captain, artillery", "Reserve medic", "Staff sergeant (res.), infantry", "Reserve navigator, air force", None],
}
TITLES = {
    "he": ["אני לא אתייצב", "מכתב סירוב", "לא בשמי", "החלטתי לסרב", "למפקד שלי", None, None],
    "ar": ["لن ألتحق", "رسالة رفض", "ليس باسمي", "قررت أن أرفض", None],
    "en": ["I will not report", "A letter of refusal", "Not in my name", "Why I refuse", None],
}
PARAGRAPHS = {
    "he": [
        "שירתתי במילואים שנים רבות, מתוך אמונה שאני מגן על הבית ועל האנשים שאני אוהב. אני כותב את המכתב הזה בשמי המלא, כי אני חושב שמי שמסרב צריך לעשות זאת בגלוי.",
        "קיבלתי צו שמונה ולא אתייצב. זו לא החלטה שקיבלתי בקלות: דיברתי עם המשפחה, עם חברים מהיחידה ועם עצמי במשך לילות ארוכים.",
        "אני לא מסרב מתוך עייפות או פחד. אני מסרב כי אני לא יכול עוד להשתתף במשהו שאני מאמין שהוא שגוי, ושאינו מביא ביטחון לאף אחד.",
        "לחברים שלי ביחידה: אני מכבד אתכם, ואני יודע שחלקכם כועסים עליי. אני מבקש רק שתקראו את המכתב עד הסוף.",
        "אני מוכן לשאת בתוצאות של ההחלטה הזו. אם אישפט, אעמוד מול השופטים ואגיד את מה שכתוב כאן.",
        "הילדים שלי ישאלו אותי יום אחד מה עשיתי. אני רוצה להיות מסוגל לענות להם בלי להשפיל את המבט.",
        "אני קורא לחבריי במילואים לחשוב, לשאול שאלות, ולהחליט בעצמם. כל אחד מאיתנו אחראי למעשיו.",
    ],
    "ar": [
        "خدمت في الاحتياط سنوات طويلة، وكنت أؤمن أنني أحمي بيتي وأهلي. أكتب هذه الرسالة باسمي الكامل لأن من يرفض يجب أن يرفض علنًا.",
        "وصلني أمر استدعاء ولن ألتحق. لم يكن القرار سهلًا: تحدثت مع عائلتي ومع رفاقي في الوحدة ومع نفسي ليالي طويلة.",
        "لا أرفض بسبب التعب أو الخوف، بل لأنني لم أعد أستطيع المشاركة في ما أؤمن أنه خطأ، ولا يجلب الأمن لأحد.",
        "إلى رفاقي في الوحدة: أنا أحترمكم، وأعرف أن بعضكم غاضب مني. أطلب فقط أن تقرأوا هذه الرسالة حتى النهاية.",
        "أنا مستعد لتحمّل نتائج هذا القرار. إذا حوكمت، سأقف أمام القضاة وأقول ما كتبته هنا.",
        "سيسألني أطفالي يومًا ماذا فعلت. أريد أن أجيبهم دون أن أخفض نظري.",
    ],
    "en": [
        "I have served in the reserves for many years, believing that I was protecting my home and the people I love. I am writing this letter under my full name, because I think that refusal should be done in the open.",
        "I received a call-up order and I will not report. This was not an easy decision: I spoke with my family, with friends from my unit, and with myself over many long nights.",
        "I do not refuse out of fatigue or fear. I refuse because I can no longer take part in something I believe is wrong, and which brings no one security.",
        "To my friends in the unit: I respect you, and I know some of you are angry with me. I only ask that you read this letter to the end.",
        "I am ready to bear the consequences of this decision. If I am tried, I will stand before the judges and say what is written here.",
        "My children will ask me one day what I did. I want to be able to answer them without looking away.",
    ],
}
# Rough share of each language among the demo letters.
LANGUAGE_WEIGHTS = {"he": 0.7, "ar": 0.1, "en": 0.2}


def synthetic_letter(rng: random.Random, language: str) -> dict:
    """A plausible letter's public fields, in one language."""
    name = f"{rng.choice(FIRST_NAMES[language])} {rng.choice(LAST_NAMES[language])}"
    paragraphs = rng.sample(PARAGRAPHS[language], k=rng.randint(3, len(PARAGRAPHS[language])))
    body_text = "\n\n".join(paragraphs) + "\n\n" + name
    return {
        "display_name": name,
        "descriptor": rng.choice(DESCRIPTORS[language]),
        "language": language,
        "title": rng.choice(TITLES[language]),
        "body_text": body_text,
    }


def seed(count: int, *, days: int = 180, rng_seed: int | None = None, now: datetime | None = None) -> int:
    """Submit, confirm and publish `count` demo letters spread over the past `days`, in bulk, through
    letters.publish_many (which the tally counts)."""
    rng = random.Random(rng_seed)
    now = now or utcnow()
    languages = list(LANGUAGE_WEIGHTS)
    weights = list(LANGUAGE_WEIGHTS.values())
    drafts = []
    for _ in range(count):
        fields = synthetic_letter(rng, rng.choices(languages, weights)[0])
        published_at = now - timedelta(seconds=rng.randint(60, days * 86400))
        submitted_at = published_at - timedelta(hours=rng.randint(2, 72))
        confirmed_at = submitted_at + timedelta(minutes=rng.randint(1, 90))
        drafts.append({**fields, "collective": False, "submitted_at": submitted_at, "confirmed_at": confirmed_at, "published_at": published_at})
    return len(letters.publish_many(drafts, by=Actor.CLI, action=AuditAction.DEMO_SEED))


SIGNER_NAMES = {
    "he": ["יואב", "מיכל", "עמרי", "נטע", "איתי", "רותם", "אלון", "שירה"],
    "ar": ["سامي", "ليلى", "كريم", "نور", "يوسف", "هالة"],
    "en": ["Daniel", "Ruth", "Adam", "Maya", "Jonah", "Tamar"],
}


def seed_collective(signature_count: int, *, language: str = "he", rng_seed: int | None = None, now: datetime | None = None) -> Letter:
    """Publish one collective demo letter with `signature_count` published co-signatures, through
    letters.publish_many and signatures.publish_many (which the tally counts)."""
    rng = random.Random(rng_seed)
    now = now or utcnow()
    fields = synthetic_letter(rng, language)
    fields["title"] = {"he": "מכתב הטייסים", "ar": "رسالة جماعية", "en": "A collective letter"}[language]
    published_at = now - timedelta(days=30)
    history = {"submitted_at": published_at - timedelta(days=1), "confirmed_at": published_at - timedelta(hours=20), "published_at": published_at}
    (public_id,) = letters.publish_many([{**fields, "collective": True, **history}], by=Actor.CLI, action=AuditAction.DEMO_SEED)
    letter = letters.letter_by_public_id(public_id)
    signers = []
    for i in range(signature_count):
        signed_at = published_at + timedelta(seconds=rng.randint(60, 29 * 86400))
        signers.append(
            {
                "display_name": f"{rng.choice(SIGNER_NAMES[language])} {i + 1}",
                "descriptor": None,
                "contact_email": None,  # as if erased: a demo signer has no address to keep
                "email_key": signatures.email_key(f"demo-{letter.public_id}-{i}@demo.invalid"),
                "submitted_at": signed_at - timedelta(minutes=5),
                "confirmed_at": signed_at,
                "published_at": signed_at,
            }
        )
    signatures.publish_many(letter, signers, by=Actor.CLI, action=AuditAction.DEMO_SEED)
    return letter
