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
from desk.domain.drafts import CustomerDraft, VehicleDraft
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
    "name": (
        "name",
        "customer",
        "customername",
        "fullname",
        "owner",
        "姓名",
        "客户",
        "客户名称",
        "客户姓名",
        "车主",
        "车主姓名",
        "名称",
    ),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "telephone",
        "phonenumber",
        "mobilephone",
        "cell",
        "cellphone",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "电话号码",
        "联系方式",
    ),
    "email": ("email", "mail", "emailaddress", "邮箱", "电子邮件", "电子邮箱"),
    "plate": (
        "plate",
        "licenseplate",
        "licenceplate",
        "plateno",
        "platenumber",
        "registration",
        "regno",
        "车牌",
        "车牌号",
        "车牌号码",
    ),
    "vin": (
        "vin",
        "vinno",
        "chassis",
        "chassisno",
        "chassisnumber",
        "车架号",
        "车辆识别代号",
        "车辆识别码",
        "vin码",
        "底盘号",
    ),
    "make": ("make", "brand", "manufacturer", "品牌", "厂牌", "车辆品牌"),
    "model": ("model", "车型", "型号", "车系"),
    "year": ("year", "modelyear", "年款", "年份", "车型年份"),
    "odometer_km": (
        "odometer",
        "odometerkm",
        "mileage",
        "km",
        "kilometres",
        "kilometers",
        "里程",
        "公里数",
        "行驶里程",
        "里程数",
        "表显里程",
    ),
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


def same_name(a: str, b: str) -> bool:
    """Two spellings of one customer's name: equal but for case, width and spaces."""

    def key(text: str) -> str:
        return "".join(validate._halfwidth(text).casefold().split())

    return key(a) == key(b)


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
    """A row of the file: its customer and car drafts (the same checks as the form's)."""

    line: int
    customer: CustomerDraft
    vehicle: VehicleRecord | None = None

    @property
    def name(self) -> str:
        return self.customer.name

    @property
    def phone(self) -> str:
        """The key rows of one customer share."""
        return self.customer.phone


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


#: What is read, said the same way by ``desk import customers --help`` and the README.
ENCODINGS_TEXT = "UTF-8 with or without BOM, UTF-16 with or without BOM, GBK/GB18030, Windows-1252 (cp1252)"
SEPARATORS_TEXT = "comma, semicolon, tab or bar"
#: ``--encoding`` values -> (Python codec, the name shown). "auto" detects.
ENCODINGS: dict[str, tuple[str, str]] = {
    "utf-8": ("utf-8-sig", "UTF-8"),
    "utf-16": ("utf-16", "UTF-16"),
    "utf-16le": ("utf-16-le", "UTF-16LE"),
    "utf-16be": ("utf-16-be", "UTF-16BE"),
    "gbk": ("gb18030", "GBK"),
    "gb18030": ("gb18030", "GB18030"),
    "cp1252": ("cp1252", "Windows-1252"),
}
ENCODING_CHOICES = ("auto", *ENCODINGS)

NOT_TEXT = N_(
    "The file is not text in an encoding desk reads ({encodings}): byte {offset} (row {line}) "
    "cannot be read; save it again as UTF-8, or name its encoding (--encoding)"
)
NOT_IN_ENCODING = N_(
    "The file is not {encoding} text: byte {offset} (row {line}) cannot be read as {encoding}; "
    "name its encoding (--encoding) or save it again as UTF-8"
)
UTF16_NO_BOM = N_(
    "The file looks like UTF-16 without a byte-order mark (every other byte is zero), but byte "
    "{offset} (row {line}) cannot be read as {encoding}; save it again as UTF-8, or name its "
    "encoding (--encoding utf-16le or utf-16be)"
)
ODD_UTF16 = N_("The file looks like UTF-16 but has an odd number of bytes ({size}): it was cut short; export it again")
UNKNOWN_ENCODING = N_("Unknown encoding {encoding}: use one of {choices}")
NUL_BYTE = N_("A NUL (zero) byte in row {line}, column {column}: the file is damaged or not a text export")
MOJIBAKE = N_(
    "The name {value} mixes Latin letters with rare Chinese characters: the file is probably not "
    "{encoding} (a Western European export reads with --encoding cp1252)"
)

#: Share of the zero bytes in the first bytes of a file without a BOM at one
#: parity (and almost none at the other) that makes it UTF-16.
_UTF16_SHARE = 0.3
_SAMPLE = 8192


def _line_of(data: bytes, offset: int, codec: str = "") -> int:
    """The row (1 = the first line) the byte at ``offset`` is on."""
    if codec.startswith("utf-16"):
        nl = "\n".encode(codec.replace("-sig", "") if codec != "utf-16" else "utf-16-le")
        return data[:offset].count(nl) + 1
    return data[:offset].count(b"\n") + 1


def _utf16_order(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when the zero bytes say UTF-16 without a BOM."""
    sample = data[:_SAMPLE]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    z_even, z_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if z_odd >= _UTF16_SHARE and z_even < 0.05:
        return "utf-16-le"
    if z_even >= _UTF16_SHARE and z_odd < 0.05:
        return "utf-16-be"
    return None


def _gb2312_share(data: bytes) -> float:
    """Of the multi-byte characters a GBK reading makes of ``data``, the share in
    GB2312's range (both bytes 0xA1-0xFE: the common characters Chinese exports
    are made of). A Windows-1252 letter followed by an ASCII one ("ü" + "r")
    reads as a rare GBK character instead."""
    common = pairs = 0
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            i += 1
            continue
        t = data[i + 1] if i + 1 < n else 0
        pairs += 1
        if 0x30 <= t <= 0x39:  # a four-byte GB18030 sequence: rare in a shop's export
            i += 4
            continue
        if 0xA1 <= b <= 0xF7 and 0xA1 <= t <= 0xFE:
            common += 1
        i += 2
    return common / pairs if pairs else 1.0


#: Characters a Western European name or address is written with, beyond ASCII.
def _latin_plausible(text: str) -> bool:
    import unicodedata

    odd = 0
    total = 0
    for ch in text:
        if ord(ch) < 0x80:
            continue
        total += 1
        if unicodedata.category(ch).startswith("L") and ord(ch) <= 0x17F:
            continue  # Latin-1 and Latin Extended-A letters: é ü ß ø œ š ž
        if ch in "€’‘“”–—…°²³·•´¨ªº«»¿¡×÷±£¥§©®™":
            continue
        odd += 1
    return total == 0 or odd / total < 0.05


def _strict(data: bytes, codec: str, name: str, message: str = NOT_IN_ENCODING) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "file", message, {"encoding": name, "offset": exc.start, "line": _line_of(data, exc.start, codec)}
        ) from None


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the name of its encoding.

    ``encoding`` (an :data:`ENCODINGS` key) reads the file that way, or says
    exactly where it cannot. Otherwise: a byte-order mark (UTF-8, UTF-16); UTF-16
    without one, told by its zero bytes; UTF-8; then GBK/GB18030 (what Chinese
    dealer systems write) only when its characters are the common ones, else
    Windows-1252 when the text reads as Western European letters, so a
    Windows-1252 "Jürgen Müller" is never read as Chinese.
    """
    if encoding and encoding.lower() != "auto":
        key = encoding.lower().replace("_", "-")
        key = {
            "utf8": "utf-8",
            "utf-8-sig": "utf-8",
            "utf16": "utf-16",
            "utf-16-le": "utf-16le",
            "utf-16-be": "utf-16be",
            "windows-1252": "cp1252",
            "gb2312": "gbk",
        }.get(key, key)
        if key not in ENCODINGS:
            raise InvalidInput("file", UNKNOWN_ENCODING, {"encoding": encoding, "choices": ", ".join(ENCODING_CHOICES)})
        codec, name = ENCODINGS[key]
        return _strict(data, codec, name).lstrip("\ufeff"), name
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", "UTF-8"), "UTF-8 BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if len(data) % 2:
            raise InvalidInput("file", ODD_UTF16, {"size": len(data)})
        return _strict(data, "utf-16", "UTF-16"), "UTF-16"
    order = _utf16_order(data)
    if order is not None:
        name = "UTF-16LE" if order.endswith("le") else "UTF-16BE"
        if len(data) % 2:
            raise InvalidInput("file", ODD_UTF16, {"size": len(data)})
        return _strict(data, order, name, UTF16_NO_BOM).lstrip("\ufeff"), name
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    gb = latin = None
    with _suppress():
        gb = data.decode("gb18030")
    with _suppress():
        latin = data.decode("cp1252")
    if gb is not None and _gb2312_share(data) >= 0.9:
        return gb, "GBK"
    if latin is not None and _latin_plausible(latin):
        return latin, "Windows-1252"
    if gb is not None:
        return gb, "GBK"  # rare characters, but Chinese; names mixing them with Latin letters are refused
    raise InvalidInput(
        "file",
        NOT_TEXT,
        {
            "encodings": "UTF-8, UTF-16, GBK/GB18030, Windows-1252",
            "offset": first_bad,
            "line": _line_of(data, first_bad),
        },
    )


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, kind, _exc, _tb):
        return kind is not None and issubclass(kind, UnicodeDecodeError)


def _rare_hanzi(ch: str) -> bool:
    """A Chinese character outside GB2312 (what a misread Latin letter becomes)."""
    if not ("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"):
        return False
    try:
        raw = ch.encode("gb2312")
    except UnicodeEncodeError:
        return True
    return len(raw) != 2


def mojibake(name: str) -> bool:
    """A word of Latin letters with a rare Chinese character inside it
    ("J黵gen"): a Western European name read in a Chinese encoding."""
    for word in re.split(r"[\s,.;/()\-]+", name):
        if any(_rare_hanzi(c) for c in word) and any(c.isascii() and c.isalpha() for c in word):
            return True
    return False


def _nul_errors(line: int, cells: list[str], headers: list[str], columns: dict[str, int]) -> list[RowError]:
    """A NUL byte in a row: named by the row and the column (its header)."""
    field_at = {i: f for f, i in columns.items()}
    return [
        RowError(
            line,
            field_at.get(j, "file"),
            NUL_BYTE,
            {"line": line, "column": headers[j] if j < len(headers) and headers[j] else str(j + 1)},
        )
        for j, cell in enumerate(cells)
        if "\x00" in cell
    ]


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


def parse(data: bytes, *, today: dt.date, progress=None, encoding: str | None = None) -> ParsedImport:
    """Read and check every row of a customer/vehicle CSV export.

    A file that cannot be read at all (not text, no header, no name or phone
    column) raises :class:`InvalidInput`; row problems are collected in
    ``errors`` with their row numbers, so the advisor sees all of them at once.
    ``progress(done, total)`` is called every few hundred rows; ``encoding``
    (an :data:`ENCODINGS` key, or "auto"/None to detect) names the file's encoding.
    """
    if len(data) > MAX_BYTES:
        raise InvalidInput("file", "The file is larger than {mb} MB", {"mb": MAX_BYTES // 1024 // 1024})
    text, encoding = decode(data, encoding)
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
    if "\x00" in "".join(all_rows[start]):
        column = next(i for i, h in enumerate(all_rows[start]) if "\x00" in h)
        raise InvalidInput("file", NUL_BYTE, {"line": start + 1, "column": str(column + 1)})
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

    body = all_rows[start + 1 :]
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
            preview.append((line, [c.replace("\x00", "\ufffd") for c in cells]))
        if "\x00" in "".join(cells):  # named by row and column; the row is not read further
            errors.extend(_nul_errors(line, cells, headers, columns))
            continue
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
            errors.append(
                RowError(
                    line,
                    "row",
                    N_("This row has {n} columns, the header has {m}"),
                    {"n": len(cells), "m": len(headers)},
                )
            )
            continue
        rec, row_errors, row_warnings = _check_row(line, cells, columns, today)
        name_at = columns["name"]
        if encoding in ("GBK", "GB18030") and name_at < len(cells) and mojibake(cells[name_at]):
            row_errors = [
                *row_errors,
                RowError(line, "name", MOJIBAKE, {"value": cells[name_at].strip(), "encoding": encoding}),
            ]
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
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        columns=columns,
        ignored_headers=ignored,
        records=records,
        errors=errors,
        warnings=warnings,
        preview=preview,
        rows=rows,
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

    for spec in (fields.NAME, fields.PHONE, fields.EMAIL):
        check(spec.name, spec.parse)
    check("member", _member)
    has_vehicle = any(cell(f).strip() for f in VEHICLE_FIELDS)
    vehicle = None
    if has_vehicle:
        for spec in VehicleDraft.FORM:
            check(spec.name, lambda s, spec=spec: spec.parse(s, today=today))
        warning = fields.vin_warning(values.get("vin", ""))
        if warning:
            warnings.append(RowError(line, "vin", warning))
        if not errors:
            vehicle = VehicleDraft(**{spec.name: values[spec.name] for spec in VehicleDraft.FORM})
    if errors:
        return None, errors, warnings
    customer = CustomerDraft(name=values["name"], phone=values["phone"], email=values["email"], member=values["member"])
    return CustomerRecord(line=line, customer=customer, vehicle=vehicle), [], warnings


def _duplicate(rec: CustomerRecord, seen_vin, seen_plate, seen_phone) -> RowError | None:
    """Rows of the same file that describe the same car twice, or one phone
    number under two names, are errors (which one is right is the shop's call)."""
    earlier = seen_phone.get(rec.phone)
    if earlier is not None and earlier[1] != rec.name:
        return RowError(
            rec.line,
            "phone",
            N_("Same phone as row {line} under another name ({name})"),
            {"line": earlier[0], "name": earlier[1]},
        )
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
