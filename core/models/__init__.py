"""The core's typed models. The schema changes only through Alembic revisions."""
from shopcrm.models.api_token import ApiToken
from shopcrm.models.automation import Automation
from shopcrm.models.base import Base
from shopcrm.models.campaign import Campaign
from shopcrm.models.customer import Customer
from shopcrm.models.import_run import ImportRun
from shopcrm.models.job_run import JobRun
from shopcrm.models.label import CustomerLabel, LabelRun
from shopcrm.models.message import Message
from shopcrm.models.optout import Inbound, OptOut
from shopcrm.models.order import Order, OrderItem
from shopcrm.models.review import Review
from shopcrm.models.segment import Segment
from shopcrm.models.setting import Setting
from shopcrm.models.shop import Shop
from shopcrm.models.template import Template
from shopcrm.models.user import ROLES, AuditLog, User

__all__ = [
    "ApiToken", "Automation", "AuditLog", "Base", "Campaign", "Customer", "CustomerLabel", "ImportRun",
    "Inbound", "JobRun", "LabelRun", "Message", "OptOut", "Order", "OrderItem", "ROLES", "Review", "Segment",
    "Setting", "Shop", "Template", "User",
]

from shopcrm import rollups as _rollups  # noqa: E402,F401  (registers the rollup listeners)
