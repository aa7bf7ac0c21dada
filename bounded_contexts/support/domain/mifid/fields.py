"""The fields of an RTS 22 transaction report (Reg. 2017/590, Annex I Table 2), by number, and
the problem a record can have with one of them. Every validation message names its field by
number and name, as ESMA's validation rules and an ARM's feedback do."""

from __future__ import annotations

from dataclasses import dataclass

RTS22_FIELDS: dict[int, str] = {
    1: "Report status",
    2: "Transaction reference number",
    3: "Trading venue transaction identification code",
    4: "Executing entity identification code",
    5: "Investment firm covered by Directive 2014/65/EU",
    6: "Submitting entity identification code",
    7: "Buyer identification code",
    8: "Country of the branch for the buyer",
    9: "Buyer - first name(s)",
    10: "Buyer - surname(s)",
    11: "Buyer - date of birth",
    12: "Buyer decision maker code",
    13: "Buy decision maker - first name(s)",
    14: "Buy decision maker - surname(s)",
    15: "Buy decision maker - date of birth",
    16: "Seller identification code",
    17: "Country of the branch for the seller",
    18: "Seller - first name(s)",
    19: "Seller - surname(s)",
    20: "Seller - date of birth",
    21: "Seller decision maker code",
    22: "Sell decision maker - first name(s)",
    23: "Sell decision maker - surname(s)",
    24: "Sell decision maker - date of birth",
    25: "Transmission of order indicator",
    26: "Transmitting firm identification code for the buyer",
    27: "Transmitting firm identification code for the seller",
    28: "Trading date time",
    29: "Trading capacity",
    30: "Quantity",
    31: "Quantity currency",
    32: "Derivative notional increase/decrease",
    33: "Price",
    34: "Price currency",
    35: "Net amount",
    36: "Venue",
    37: "Country of the branch membership",
    38: "Up-front payment",
    39: "Up-front payment currency",
    40: "Complex trade component id",
    41: "Instrument identification code",
    42: "Instrument full name",
    43: "Instrument classification",
    44: "Notional currency 1",
    45: "Notional currency 2",
    46: "Price multiplier",
    47: "Underlying instrument code",
    48: "Underlying index name",
    49: "Term of the underlying index",
    50: "Option type",
    51: "Strike price",
    52: "Strike price currency",
    53: "Option exercise style",
    54: "Maturity date",
    55: "Expiry date",
    56: "Delivery type",
    57: "Investment decision within firm",
    58: "Country of the branch responsible for the person making the investment decision",
    59: "Execution within firm",
    60: "Country of the branch supervising the person responsible for the execution",
    61: "Waiver indicator",
    62: "Short selling indicator",
    63: "OTC post-trade indicator",
    64: "Commodity derivative indicator",
    65: "Securities financing transaction indicator",
}


@dataclass(frozen=True)
class Problem:
    """Why a record cannot be reported as it is: the RTS 22 field at fault and the reason."""

    field: int
    reason: str

    @property
    def field_name(self) -> str:
        return RTS22_FIELDS[self.field]

    def __str__(self) -> str:
        return f"field {self.field} ({self.field_name}): {self.reason}"
