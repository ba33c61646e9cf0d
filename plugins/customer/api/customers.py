"""The customer master in GraphQL: ``Customer``, finding customers, registering
and changing them, and assigning their relationship manager."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from sqlalchemy import Select, false, or_, select
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.errors import BusinessError, RequestError
from core.graphql import UserError, int_ids, model_type_check, mutation, node_id, query
from core.money import LARGEST, to_minor_units
from core.pagination import CountedConnection, keyset_page
from core.plugins import PluginRegistry
from core.validation import clean_text
from plugins.customer import loaders, models
from plugins.customer.assets import assets_in_fen
from plugins.customer.contact_details import contact_details
from plugins.customer.events import CustomerRegistered, ManagerAssigned
from plugins.customer.identity import Gender, InvalidContact, normalize_mobile
from plugins.customer.managers import assign_manager
from plugins.customer.models import (
    NAME_MAX,
    CustomerKind,
    CustomerStatus,
    CustomerTier,
    RiskProfile,
)
from plugins.customer.permissions import CUSTOMER_ASSIGN, CUSTOMER_READ, CUSTOMER_WRITE
from plugins.customer.registration import Registration, register_customer
from plugins.customer.scope import in_scope
from plugins.security import loaders as staff
from plugins.security.masking import (
    mask_email,
    mask_id_number,
    mask_phone,
    reveals_personal_data,
)
from plugins.security.models import Branch as BranchRow
from plugins.security.types import Branch, User

strawberry.enum(CustomerKind)
strawberry.enum(CustomerTier, description="Service tier, from assets under management.")
strawberry.enum(RiskProfile, description="Assessed risk tolerance, C1 conservative to C5.")
strawberry.enum(Gender)
strawberry.enum(CustomerStatus)


def reads_customers(info: Info) -> bool:
    return info.context.user.can(CUSTOMER_READ)


def reads_personal_data(info: Info, customer: models.Customer) -> bool:
    return reveals_personal_data(info, "Customer", customer.id)


@strawberry.type(description="A customer of the bank: a person or a company.")
class Customer(relay.Node):
    id: relay.NodeID[int]
    customer_no: str
    kind: CustomerKind
    name: str
    tier: CustomerTier
    status: CustomerStatus
    gender: Gender | None
    risk_profile: RiskProfile | None
    risk_assessed_on: date | None
    created_at: datetime

    is_type_of = model_type_check(models.Customer)

    @strawberry.field(
        description="Resident ID number (individuals) or unified social credit code "
        "(corporates); masked unless the viewer may read personal data."
    )
    def id_number(self, root: strawberry.Parent[models.Customer], info: Info) -> str:
        return root.id_number if reads_personal_data(info, root) else mask_id_number(root.id_number)  # type: ignore[return-value]

    @strawberry.field(description="Masked unless the viewer may read personal data.")
    def phone(self, root: strawberry.Parent[models.Customer], info: Info) -> str | None:
        return root.phone if reads_personal_data(info, root) else mask_phone(root.phone)

    @strawberry.field(description="Masked unless the viewer may read personal data.")
    def email(self, root: strawberry.Parent[models.Customer], info: Info) -> str | None:
        return root.email if reads_personal_data(info, root) else mask_email(root.email)

    @strawberry.field(description="Individuals only; null unless the viewer may read it.")
    def birth_date(self, root: strawberry.Parent[models.Customer], info: Info) -> date | None:
        return root.birth_date if reads_personal_data(info, root) else None

    @strawberry.field
    async def branch(self, root: strawberry.Parent[models.Customer], info: Info) -> Branch:
        return await info.context.loader(staff.branches_by_id).load(root.branch_id)

    @strawberry.field
    async def relationship_manager(
        self, root: strawberry.Parent[models.Customer], info: Info
    ) -> User | None:
        if root.relationship_manager_id is None:
            return None
        return await info.context.loader(staff.users_by_id).load(root.relationship_manager_id)

    @strawberry.field(description="Labels for finding and segmenting customers.")
    async def tags(self, root: strawberry.Parent[models.Customer], info: Info) -> list[str]:
        return await info.context.loader(loaders.tags_by_customer_id).load(root.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Customer | None]:
        context: Context = info.context
        if not reads_customers(info):
            return [None for _ in node_ids]
        return await context.loader(loaders.customers_by_id).load_many(int_ids(node_ids))


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection(CountedConnection):
    edges: list[CustomerEdge]
    page_info: relay.PageInfo


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Matches name, customer number, or phone."
    )
    tier: list[CustomerTier] | None = None
    branch_code: str | None = None
    relationship_manager_id: relay.GlobalID | None = None
    kind: CustomerKind | None = None
    risk_profile: list[RiskProfile] | None = None
    tags: list[str] | None = strawberry.field(default=None, description="Has every one of them.")
    status: list[CustomerStatus] | None = strawberry.field(
        default=None, description="Default: active customers only."
    )
    assets_from: Decimal | None = strawberry.field(
        default=None, description="Assets under management of at least this many CNY."
    )
    assets_below: Decimal | None = strawberry.field(
        default=None, description="Assets under management below this many CNY."
    )


@strawberry.enum
class CustomerOrder(enum.Enum):
    NEWEST = "NEWEST"
    NAME = "NAME"
    CUSTOMER_NO = "CUSTOMER_NO"


ORDERINGS = {
    CustomerOrder.NEWEST: ([models.Customer.created_at, models.Customer.id], True),
    CustomerOrder.NAME: ([models.Customer.name, models.Customer.id], False),
    CustomerOrder.CUSTOMER_NO: ([models.Customer.customer_no, models.Customer.id], False),
}


def searched_phone(text: str) -> str:
    """The phone a search names, written as stored (``+86 138-1234-5678`` is 13812345678)."""
    try:
        return normalize_mobile(text)
    except InvalidContact:
        return text.replace(" ", "").replace("-", "")


def in_fen(amount: Decimal, field: str) -> int:
    """A bound on assets in fen; INVALID_AMOUNT unless it is a number within
    :data:`core.money.LARGEST` either way, exact to the fen (``Infinity`` and
    ``1e999`` are Decimals too, and have no fen a database can hold)."""
    if not amount.is_finite() or abs(amount) > LARGEST:
        raise RequestError(f"{field} must be a number of at most {LARGEST:,}.", "INVALID_AMOUNT")
    try:
        return to_minor_units(amount)
    except ValueError:
        raise RequestError(f"{field} has more than two decimal places.", "INVALID_AMOUNT") from None


def filtered(statement: Select, given: CustomerFilter | None, plugins: PluginRegistry) -> Select:  # type: ignore[type-arg]
    """``statement`` narrowed by a filter; active customers unless statuses are given."""
    given = given or CustomerFilter()
    C = models.Customer
    if given.assets_from is not None or given.assets_below is not None:
        assets = assets_in_fen(plugins, C.id)  # type: ignore[arg-type]
        if given.assets_from is not None:
            statement = statement.where(assets >= in_fen(given.assets_from, "assetsFrom"))
        if given.assets_below is not None:
            statement = statement.where(assets < in_fen(given.assets_below, "assetsBelow"))
    statement = statement.where(C.status.in_(given.status or [CustomerStatus.ACTIVE]))  # type: ignore[attr-defined]
    if given.search and (text := given.search.strip()):
        statement = statement.where(
            or_(
                C.name.icontains(text, autoescape=True),  # type: ignore[attr-defined]
                C.customer_no == text.upper(),
                C.phone == searched_phone(text),
            )
        )
    if given.tier:
        statement = statement.where(C.tier.in_(given.tier))  # type: ignore[attr-defined]
    if given.kind:
        statement = statement.where(C.kind == given.kind)
    if given.risk_profile:
        statement = statement.where(C.risk_profile.in_(given.risk_profile))  # type: ignore[union-attr]
    if given.branch_code:
        statement = statement.where(
            C.branch_id.in_(  # type: ignore[attr-defined]
                select(BranchRow.id).where(BranchRow.code == given.branch_code.strip().upper())
            )
        )
    if given.relationship_manager_id is not None:
        manager_id = node_id(given.relationship_manager_id, "User")
        # An id that names no user matches nobody (never the unmanaged customers).
        statement = statement.where(
            C.relationship_manager_id == manager_id if manager_id is not None else false()
        )
    for tag in given.tags or ():
        statement = statement.where(
            C.id.in_(select(models.CustomerTag.customer_id).where(models.CustomerTag.tag == tag))  # type: ignore[union-attr]
        )
    return statement


@strawberry.type
class CustomerQuery:
    @query(permission=CUSTOMER_READ)
    async def customer(self, info: Info, id: relay.GlobalID) -> Customer | None:
        """A customer by id; null when missing or out of your scope."""
        if id.type_name != "Customer":
            return None
        return await Customer.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]

    @query(permission=CUSTOMER_READ)
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: CustomerOrder = CustomerOrder.NEWEST,
    ) -> CustomerConnection:
        """Customers in your scope, newest first unless ordered otherwise."""
        context: Context = info.context
        statement = filtered(
            select(models.Customer).where(in_scope(context.user)), filter, context.runtime.plugins
        )
        keys, descending = ORDERINGS[order_by]
        page = await keyset_page(
            context.session,
            statement,
            keys,
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
            descending=descending,
            ordering=order_by.value,
        )
        return CustomerConnection(
            edges=page.edges(CustomerEdge),
            page_info=page.page_info,
            counted=statement,
        )


@strawberry.input
class CreateCustomerInput:
    kind: CustomerKind
    name: str
    id_number: str
    phone: str | None = None
    email: str | None = None
    branch_code: str


@strawberry.input
class UpdateCustomerInput:
    id: relay.GlobalID
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@strawberry.input
class AssignRelationshipManagerInput:
    customer_id: relay.GlobalID
    user_id: relay.GlobalID
    reason: str = "Assigned by a manager."


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def customer_in_scope(info: Info, id: relay.GlobalID, field: list[str]) -> models.Customer:
    """The customer a mutation names, refusing a missing or out-of-scope one alike."""
    customer = await info.context.loader(loaders.customers_by_id).load(node_id(id, "Customer"))
    if customer is None:
        raise BusinessError("NOT_FOUND", "There is no such customer.", field)
    return customer


@strawberry.type
class CustomerMutation:
    @mutation(permission=CUSTOMER_WRITE)
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload:
        """Register a customer; one identity number is one customer."""
        context: Context = info.context
        customer = await register_customer(
            context.session,
            context.user,
            Registration(
                kind=input.kind,
                name=input.name,
                id_number=input.id_number,
                branch_code=input.branch_code,
                phone=input.phone,
                email=input.email,
            ),
            today=context.runtime.settings.today(),
        )
        await context.publish(CustomerRegistered(customer.id, customer.branch_id))  # type: ignore[arg-type]
        return CustomerPayload(customer=customer)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_WRITE)
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        """Change a customer's name or contact details; a field left out stays as it is."""
        customer = await customer_in_scope(info, input.id, ["input", "id"])
        if customer.status is CustomerStatus.CLOSED:
            raise BusinessError("CUSTOMER_CLOSED", "The customer is closed.", ["input", "id"])
        if input.name is not None:
            customer.name = clean_text(input.name, field=["input", "name"], max_length=NAME_MAX)
        phone, email = contact_details(input.phone, input.email)
        if input.phone is not None:
            customer.phone = phone
        if input.email is not None:
            customer.email = email
        info.context.session.add(customer)
        return CustomerPayload(customer=customer)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_ASSIGN)
    async def assign_relationship_manager(
        self, info: Info, input: AssignRelationshipManagerInput
    ) -> CustomerPayload:
        """Give a customer a relationship manager of their branch; the history is kept."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        previous = customer.relationship_manager_id
        customer = await assign_manager(
            context.session,
            customer,
            node_id(input.user_id, "User"),
            input.reason,
            context.user.user_id,  # type: ignore[arg-type]
        )
        if customer.relationship_manager_id != previous:
            await context.publish(
                ManagerAssigned(customer.id, customer.relationship_manager_id, previous)  # type: ignore[arg-type]
            )
        return CustomerPayload(customer=customer)  # type: ignore[arg-type]
