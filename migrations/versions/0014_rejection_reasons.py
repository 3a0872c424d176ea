"""Stock reasons for rejecting or taking down a letter, kept by admins in Hebrew, Arabic and English,
with a first set moderators can use at once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The first stock reasons (admins edit or retire them); each says what the author can do, where
# there is something to do. Hebrew speaks impersonally, as the site does.
DEFAULT_REASONS = [
    {
        "text_he": "לא הצלחנו לוודא שהמכתב נשלח על ידי מי שחתום עליו. אפשר לפנות אלינו דרך טופס יצירת הקשר באתר.",
        "text_ar": "لم نتمكّن من التحقق من أن الرسالة أُرسلت من الشخص الموقِّع عليها. يمكن التواصل معنا عبر نموذج الاتصال في الموقع.",
        "text_en": "We could not verify that the letter was sent by the person who signed it. You can reach us through the contact form on the site.",
    },
    {
        "text_he": "המכתב חושף את זהותם של אנשים אחרים (למשל מפקדים או חברים ליחידה) ללא הסכמתם. אפשר לשלוח אותו שוב בלי הפרטים האלה.",
        "text_ar": "تكشف الرسالة هوية أشخاص آخرين (مثل قادة أو زملاء في الوحدة) من دون موافقتهم. يمكن إرسالها من جديد من دون هذه التفاصيل.",
        "text_en": "The letter identifies other people (such as commanders or comrades) without their consent. You can send it again without those details.",
    },
    {
        "text_he": "המכתב חושף מידע צבאי מסווג או מבצעי. אפשר לשלוח אותו שוב בלי המידע הזה.",
        "text_ar": "تكشف الرسالة معلومات عسكرية سرية أو عملياتية. يمكن إرسالها من جديد من دون هذه المعلومات.",
        "text_en": "The letter reveals classified or operational military information. You can send it again without that information.",
    },
    {
        "text_he": "המכתב כולל הסתה, איומים או דברי שנאה.",
        "text_ar": "تتضمّن الرسالة تحريضًا أو تهديدات أو خطاب كراهية.",
        "text_en": "The letter contains incitement, threats or hate speech.",
    },
    {
        "text_he": "המכתב אינו מכתב סירוב לשירות.",
        "text_ar": "الرسالة ليست رسالة رفض للخدمة.",
        "text_en": "The letter is not a refusal to serve.",
    },
    {
        "text_he": "מכתב זהה כבר פורסם או ממתין לבדיקה.",
        "text_ar": "رسالة مطابقة منشورة بالفعل أو بانتظار المراجعة.",
        "text_en": "The same letter is already published or waiting for review.",
    },
]

reasons_table = sa.table(
    "rejection_reasons",
    sa.column("text_he", sa.String),
    sa.column("text_ar", sa.String),
    sa.column("text_en", sa.String),
    sa.column("revision", sa.Integer),
    sa.column("updated_at", sa.DateTime),
)


def default_rows() -> list[dict]:
    """The first reasons as rows (tests put them back after emptying the table)."""
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as models.UTCDateTime stores it
    return [{**reason, "revision": 1, "updated_at": now} for reason in DEFAULT_REASONS]


def upgrade() -> None:
    op.create_table(
        "rejection_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_he", sa.String(length=500), nullable=False),
        sa.Column("text_ar", sa.String(length=500), nullable=False),
        sa.Column("text_en", sa.String(length=500), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["moderators.id"], name=op.f("fk_rejection_reasons_updated_by_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejection_reasons")),
    )
    op.bulk_insert(reasons_table, default_rows())


def downgrade() -> None:
    # The reasons go with their table; what authors were told stays in the audit trail's rows.
    op.drop_table("rejection_reasons")
