"""Reading another system's customer/vehicle export (CSV) into checked records.

Pure domain code: the standard library and :mod:`desk.domain.validate` only. The
file's bytes are decoded (UTF-8 with or without a byte-order mark, UTF-16 with
one, or GBK/GB18030 as Chinese dealer systems export), the delimiter is detected
(comma, semicolon, tab, bar), the header is mapped through English and Chinese
aliases ("phone", "手机", "联系电话" …), and every row is validated with the same
validators the reception screens use. Nothing here writes: the service layer
imports the records only when :attr:`ParsedImport.errors` is empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from desk.domain import fields, validate
from desk.domain.drafts import VehicleDraft
from desk.domain.errors import DeskError, InvalidInput


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalogue (the domain's local twin of ``desk.i18n.N_``)."""
    return msgid


#: Largest file accepted (bytes): a 10,000-customer export is about 1 MB.
MAX_BYTES = 50 * 1024 * 1024
#: Rows kept as they were read, for the preview table.
PREVIEW_ROWS = 20

#: Field -> header spellings (compared after :func:`header_key`).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "customer", "customername", "fullname", "owner", "姓名", "客户", "客户名称",
             "客户姓名", "车主", "车主姓名", "名称"),
    "phone": ("phone", "mobile", "tel", "telephone", "phonenumber", "mobilephone", "cell", "cellphone",
              "电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "联系方式"),
    "email": ("email", "mail", "emailaddress", "邮箱", "电子邮件", "电子邮箱"),
    "plate": ("plate", "licenseplate", "licenceplate", "plateno", "platenumber", "registration", "regno",
              "车牌", "车牌号", "车牌号码"),
    "vin": ("vin", "vinno", "chassis", "chassisno", "chassisnumber", "车架号", "车辆识别代号", "车辆识别码",
            "vin码", "底盘号"),
    "make": ("make", "brand", "manufacturer", "品牌", "厂牌", "车辆品牌"),
    "model": ("model", "车型", "型号", "车系"),
    "year": ("year", "modelyear", "年款", "年份", "车型年份"),
    "odometer_km": ("odometer", "odometerkm", "mileage", "km", "kilometres", "kilometers", "里程",
                    "公里数", "行驶里程", "里程数", "表显里程"),
    "purchase_date": ("purchasedate", "purchased", "dateofpurchase", "购车日期", "购车时间", "购买日期"),
    "member": ("member", "membership", "会员"),
}
REQUIRED = ("name", "phone")
#: Fields that describe the car: any of them filled makes the plate required.
VEHICLE_FIELDS = ("plate", "vin", "make", "model", "year", "odometer_km", "purchase_date")
_YES = frozenset({"1", "y", "yes", "true", "x", "是", "会员", "有"})
_NO = frozenset({"", "0", "n", "no", "false", "否", "非会员", "无"})


def header_key(text: str) -> str:
    """A header cell reduced for matching: half-width, lower case, no spaces,
    underscores, dashes, dots, brackets or a unit such as "(km)"."""
    s = validate._halfwidth(str(text or "")).strip().lstrip("\ufeff").lower()
    s = re.sub(r"[(（\[].*?[)）\]]", "", s)
    return re.sub(r"[\s_\-./:：#*]", "", s)


_LOOKUP = {header_key(alias): f for f, aliases in ALIASES.items() for alias in aliases}


class ImportRejected(DeskError):
    """The file has rows with errors: nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} rows with errors: nothing imported")
        self.errors = errors


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row: ``line`` is the row number as a spreadsheet
    shows it (the header is row 1); ``reason`` an English message id with ``params``."""

    line: int
    field: str
    reason: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


#: A vehicle row of the file is a vehicle draft (the same checks as the form's).
VehicleRecord = VehicleDraft


@dataclass(frozen=True)
class CustomerRecord:
    line: int
    name: str
    phone: str
    email: str = ""
    member: bool = False
    vehicle: VehicleRecord | None = None


@dataclass
class ParsedImport:
    """A whole file read and checked; ``records`` are the rows without errors."""

    encoding: str
    delimiter: str
    headers: list[str]
    #: field -> column index
    columns: dict[str, int]
    ignored_headers: list[str]
    records: list[CustomerRecord]
    errors: list[RowError]
    warnings: list[RowError]
    #: the first rows as read (cells as text), for a preview
    preview: list[tuple[int, list[str]]]
    rows: int

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.records)

    def errors_by_line(self) -> dict[int, list[RowError]]:
        out: dict[int, list[RowError]] = {}
        for e in self.errors:
            out.setdefault(e.line, []).append(e)
        return out


# ------------------------------------------------------------------ decoding


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding.

    UTF-8 (a byte-order mark is dropped), UTF-16 with its mark, then GB18030
    (a superset of GBK and GB2312, what Chinese dealer systems write).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise InvalidInput("file", "The file is not UTF-8 or GBK text") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        raise InvalidInput("file", "The file is not UTF-8 or GBK text") from None


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon, tab or bar: the one that splits the header line most
    consistently with the next lines."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


# ------------------------------------------------------------------ parsing


def _member(raw: str) -> bool:
    s = raw.strip().lower()
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise InvalidInput("member", "Member is yes or no, not {value}", {"value": raw.strip()})


def parse(data: bytes, *, today: dt.date, progress=None) -> ParsedImport:
    """Read and check every row of a customer/vehicle CSV export.

    A file that cannot be read at all (not text, no header, no name or phone
    column) raises :class:`InvalidInput`; row problems are collected in
    ``errors`` with their row numbers, so the advisor sees all of them at once.
    ``progress(done, total)`` is called every few hundred rows.
    """
    if len(data) > MAX_BYTES:
        raise InvalidInput("file", "The file is larger than {mb} MB", {"mb": MAX_BYTES // 1024 // 1024})
    text, encoding = decode(data)
    if "\x00" in text:
        raise InvalidInput("file", "The file is not UTF-8 or GBK text")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        all_rows = list(reader)
    except csv.Error as exc:
        raise InvalidInput("file", "The file is not a CSV table: {detail}", {"detail": str(exc)}) from None
    # the header is the first non-empty row
    start = next((i for i, r in enumerate(all_rows) if any(c.strip() for c in r)), None)
    if start is None:
        raise InvalidInput("file", "The file is empty")
    headers = [h.strip().lstrip("\ufeff") for h in all_rows[start]]
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for idx, h in enumerate(headers):
        f = _LOOKUP.get(header_key(h))
        if f is None or f in columns:
            if h:
                ignored.append(h)
            continue
        columns[f] = idx
    for f in REQUIRED:
        if f not in columns:
            raise InvalidInput("file", "The file has no {column} column", {"column": f})

    body = all_rows[start + 1:]
    total = len(body)
    records: list[CustomerRecord] = []
    errors: list[RowError] = []
    warnings: list[RowError] = []
    preview: list[tuple[int, list[str]]] = []
    seen_vin: dict[str, int] = {}
    seen_plate: dict[str, int] = {}
    seen_phone: dict[str, tuple[int, str]] = {}
    rows = 0
    for offset, cells in enumerate(body):
        line = start + offset + 2  # spreadsheet row number: the header is row start+1
        if progress is not None and offset % 500 == 0:
            progress(offset, total)
        if not any(c.strip() for c in cells):
            continue
        rows += 1
        if len(preview) < PREVIEW_ROWS:
            preview.append((line, cells))
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            errors.append(RowError(line, "row", N_("This row has {n} columns, the header has {m}"),
                                   {"n": len(cells), "m": len(headers)}))
            continue
        rec, row_errors, row_warnings = _check_row(line, cells, columns, today)
        warnings.extend(row_warnings)
        if row_errors:
            errors.extend(row_errors)
            continue
        assert rec is not None
        dup = _duplicate(rec, seen_vin, seen_plate, seen_phone)
        if dup is not None:
            errors.append(dup)
            continue
        records.append(rec)
    if progress is not None:
        progress(total, total)
    if rows == 0:
        raise InvalidInput("file", "The file has a header but no rows")
    return ParsedImport(
        encoding=encoding, delimiter=delimiter, headers=headers, columns=columns,
        ignored_headers=ignored, records=records, errors=errors, warnings=warnings,
        preview=preview, rows=rows,
    )


def _check_row(line: int, cells: list[str], columns: dict[str, int], today: dt.date):
    def cell(f: str) -> str:
        idx = columns.get(f)
        return cells[idx] if idx is not None and idx < len(cells) else ""

    errors: list[RowError] = []
    warnings: list[RowError] = []
    values: dict = {}

    def check(f: str, fn) -> None:
        try:
            values[f] = fn(cell(f))
        except InvalidInput as exc:
            errors.append(RowError(line, f, exc.reason, exc.params))

    check("name", fields.NAME.parse)
    check("phone", fields.PHONE.parse)
    check("email", fields.EMAIL.parse)
    check("member", _member)
    has_vehicle = any(cell(f).strip() for f in VEHICLE_FIELDS)
    vehicle = None
    if has_vehicle:
        check("plate", fields.PLATE.parse)
        if cell("vin").strip():
            try:
                res = validate.vin(cell("vin"))
                values["vin"] = res.vin
                if res.warning:
                    warnings.append(RowError(line, "vin", res.warning))
            except InvalidInput as exc:
                errors.append(RowError(line, "vin", exc.reason, exc.params))
        check("make", fields.MAKE.parse)
        check("model", fields.MODEL.parse)
        if cell("year").strip():
            check("year", lambda s: fields.YEAR.parse(s, today=today))
        check("odometer_km", fields.ODOMETER.parse)
        check("purchase_date", lambda s: fields.PURCHASE_DATE.parse(s, today=today))
        if not errors:
            vehicle = VehicleRecord(
                plate=values["plate"], vin=values.get("vin", ""), make=values["make"], model=values["model"],
                year=values.get("year"), odometer_km=values.get("odometer_km"),
                purchase_date=values.get("purchase_date"),
            )
    if errors:
        return None, errors, warnings
    return CustomerRecord(line=line, name=values["name"], phone=values["phone"], email=values["email"],
                          member=values["member"], vehicle=vehicle), [], warnings


def _duplicate(rec: CustomerRecord, seen_vin, seen_plate, seen_phone) -> RowError | None:
    """Rows of the same file that describe the same car twice, or one phone
    number under two names, are errors (which one is right is the shop's call)."""
    earlier = seen_phone.get(rec.phone)
    if earlier is not None and earlier[1] != rec.name:
        return RowError(rec.line, "phone", N_("Same phone as row {line} under another name ({name})"),
                        {"line": earlier[0], "name": earlier[1]})
    veh = rec.vehicle
    if veh is not None:
        if veh.vin and veh.vin in seen_vin:
            return RowError(rec.line, "vin", N_("Same VIN as row {line}"), {"line": seen_vin[veh.vin]})
        if veh.plate in seen_plate:
            return RowError(rec.line, "plate", N_("Same plate as row {line}"), {"line": seen_plate[veh.plate]})
        if veh.vin:
            seen_vin[veh.vin] = rec.line
        seen_plate[veh.plate] = rec.line
    seen_phone.setdefault(rec.phone, (rec.line, rec.name))
    return None
