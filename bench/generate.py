"""A large shop, fast: years of history written with raw ``executemany`` in big
transactions, the audit hash chain computed in a tight loop, today's board made
through the real services (so it is exactly what an advisor sees).

``python -m bench.generate --visits 250000`` (the default is the issue's large
shop: 250,000 visits, 60,000 customers, 70,000 vehicles, 2,000,000 audit events).
Generated files are cached under ``$DESK_BENCH_CACHE`` (default
``~/.cache/desk-bench``), keyed by the generator version, the schema revision and
the sizes, so a second run reuses the file.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

#: Bump when the generated content changes: cached files are keyed by it.
GENERATOR_VERSION = 1
GENESIS = "0" * 64

SURNAMES_ZH = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_ZH = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰玉萍红娥玲芬燕彬鹏辉鑫宇浩凯健俊帆帅旭宁龙林欣佳琳晨阳雪梅丹"
)
FIRST_EN = [
    "Tom",
    "Anna",
    "Maria",
    "John",
    "Sara",
    "David",
    "Emma",
    "Lucas",
    "Olivia",
    "James",
    "Linda",
    "Peter",
    "Laura",
    "Mark",
    "Julia",
    "Paul",
    "Nina",
    "Kevin",
    "Grace",
    "Henry",
]
LAST_EN = [
    "Becker",
    "Schmidt",
    "Garcia",
    "Smith",
    "Jones",
    "Lee",
    "Brown",
    "Martin",
    "Chen",
    "Wong",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Clark",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Hall",
]
MAKES = [
    ("Volkswagen", "Passat"),
    ("Toyota", "Camry"),
    ("Honda", "Accord"),
    ("Buick", "GL8"),
    ("BYD", "Han"),
    ("Geely", "Emgrand"),
    ("Nissan", "Sylphy"),
    ("Audi", "A4L"),
    ("BMW", "325Li"),
]
PROVINCES = "京沪粤苏浙川鲁津渝冀豫云辽黑湘皖闽赣桂琼贵陕甘青宁新蒙藏晋吉鄂"
WMIS = ["LSV", "LFV", "LHG", "LVG", "LGB", "WVW", "1HG", "JTD"]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
CONCERNS = [
    ("Squeaking noise when braking", "brake,noise"),
    ("Regular 10,000 km service", "service"),
    ("Steering pulls to the left", "pulling"),
    ("Vibration at 100 km/h", "vibration"),
    ("Engine warning light on", "warning_light"),
    ("Air conditioning not cold", "other"),
    ("刹车有异响", "brake,noise"),
    ("常规保养", "service"),
    ("加速无力", "acceleration"),
    ("机油渗漏", "leak"),
]
STAFF = [
    ("王丽", "advisor"),
    ("Tom Becker", "advisor"),
    ("张强", "technician"),
    ("刘军", "technician"),
    ("Mike Ross", "technician"),
    ("陈静", "qc"),
    ("赵敏", "csr"),
    ("周经理", "manager,advisor"),
]
#: What one historical visit leaves in the audit log, in order (the first N are used).
VISIT_EVENTS = [
    "visit.book",
    "visit.arrive",
    "concern.confirm",
    "visit.walkaround",
    "line.add",
    "visit.authorise",
    "visit.deliver",
    "followup.call",
    "survey.answer",
]


@dataclass(frozen=True)
class Size:
    visits: int = 250_000
    customers: int = 60_000
    vehicles: int = 70_000
    events: int = 2_000_000

    @classmethod
    def scaled(cls, visits: int) -> Size:
        """The large shop's proportions for ``visits`` visits."""
        f = visits / cls.visits
        return cls(
            visits=visits,
            customers=max(60, int(cls.customers * f)),
            vehicles=max(70, int(cls.vehicles * f)),
            events=max(0, int(cls.events * f)),
        )


@dataclass(frozen=True)
class Shop:
    path: Path
    size: Size
    #: The shop's "now" (the board's today): a frozen clock for the benchmark.
    now: datetime
    counts: dict
    seconds: float

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def clock(self) -> Callable[[], datetime]:
        now = self.now
        return lambda: now


def cache_dir() -> Path:
    root = os.environ.get("DESK_BENCH_CACHE") or Path.home() / ".cache" / "desk-bench"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_path(size: Size, seed: int) -> Path:
    from desk.store.db import head_revision

    key = f"v{GENERATOR_VERSION}-{head_revision()}-{size.visits}-{size.customers}-{size.vehicles}-{size.events}-s{seed}"
    return cache_dir() / f"shop-{key}.db"


def shop(size: Size, *, seed: int = 7, progress=None, fresh: bool = False) -> Shop:
    """The cached shop of this size, generated when missing."""
    path = cache_path(size, seed)
    meta = path.with_suffix(".json")
    if not fresh and path.exists() and meta.exists():
        data = json.loads(meta.read_text())
        return Shop(path, size, datetime.fromisoformat(data["now"]), data["counts"], data["seconds"])
    for p in (path, meta, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    tmp = path.with_suffix(".part")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    made = generate(tmp, size, seed=seed, progress=progress)
    tmp.rename(path)
    meta.write_text(
        json.dumps({"now": made.now.isoformat(), "counts": made.counts, "seconds": made.seconds, "size": asdict(size)})
    )
    return Shop(path, size, made.now, made.counts, made.seconds)


# ----------------------------------------------------------------------------- generator


def _ts(day: date, seconds: int) -> tuple[str, str]:
    """(stored, iso) text of a time ``seconds`` after midnight of ``day``: SQLAlchemy
    stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'; the audit hash uses
    ``datetime.isoformat()``."""
    extra, seconds = divmod(seconds, 86400)
    if extra:
        day = day + timedelta(days=extra)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    base = f"{day.isoformat()} {h:02d}:{m:02d}:{s:02d}"
    return base + ".000000", base.replace(" ", "T")


def _vin(rng: random.Random) -> str:
    from desk.domain.validate import vin_check_digit

    body = rng.choice(WMIS) + "".join(rng.choices(VIN_CHARS, k=5)) + "0" + "".join(rng.choices(VIN_CHARS, k=8))
    return body[:8] + vin_check_digit(body) + body[9:]


class _Chain:
    """The audit log's rows with their hash chain (the audit module's own hash)."""

    def __init__(self, prev: str) -> None:
        from desk.store.audit import chain_hash

        self.hash = chain_hash
        self.prev = prev
        self.rows: list[tuple] = []

    def add(
        self,
        stored: str,
        iso: str,
        user_id,
        user_name: str,
        action: str,
        entity: str,
        entity_id,
        visit_id,
        before: str,
        after: str,
    ) -> None:
        digest = self.hash(self.prev, iso, user_id, user_name, action, entity, entity_id, visit_id, before, after)
        self.rows.append(
            (stored, user_id, user_name, action, entity, entity_id, visit_id, before, after, self.prev, digest)
        )
        self.prev = digest


AUDIT_SQL = (
    "INSERT INTO audit_event (at, user_id, user_name, action, entity, entity_id, visit_id, before, "
    "after, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def generate(path: Path, size: Size, *, seed: int = 7, now: datetime | None = None, progress=None) -> Shop:
    """Write a new shop to ``path``. ``progress(stage, done, total)`` is called as it goes."""
    import time as _time

    from desk.domain import search
    from desk.domain.survey import CSI_FACTORS
    from desk.services import open_desk

    t0 = _time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    rng = random.Random(seed)
    from desk.demo import day_anchor
    from desk.domain.schedule import Schedule

    now = now or day_anchor(datetime.now().replace(second=0, microsecond=0), Schedule())
    url = f"sqlite:///{path}"
    desk = open_desk(url)  # creates and migrates the schema
    from desk.domain.entities import Role

    for name, roles in STAFF:
        desk.people.create_user(None, name, [Role(r) for r in roles.split(",")])
    users = {u.name: u for u in desk.people.users()}
    advisors = [users["王丽"].id, users["Tom Becker"].id]
    techs = [users["张强"].id, users["刘军"].id, users["Mike Ross"].id]
    names = {u.id: u.name for u in users.values()}
    desk.ctx.engine.dispose()

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")  # no WAL growth for the bulk load; WAL again below
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("PRAGMA foreign_keys=OFF")
    last = conn.execute("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    chain = _Chain(last[0] if last else GENESIS)
    first_audit = conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_event").fetchone()[0] + 1

    start = now.date() - timedelta(days=5 * 365)
    history_days = (now.date() - start).days - 1  # up to yesterday: today is made by the services

    # --- customers and vehicles --------------------------------------------------
    report("customers", 0, size.customers)
    cust_rows, veh_rows = [], []
    phones: set[str] = set()
    created: list[tuple[str, str]] = []
    for cid in range(1, size.customers + 1):
        if rng.random() < 0.78:
            name = rng.choice(SURNAMES_ZH) + "".join(rng.choices(GIVEN_ZH, k=rng.choice((1, 2, 2))))
        else:
            name = f"{rng.choice(FIRST_EN)} {rng.choice(LAST_EN)}"
        while True:
            phone = (
                "+86" + rng.choice(("138", "139", "186", "135", "158", "177", "150")) + f"{rng.randrange(10**8):08d}"
            )
            if phone not in phones:
                phones.add(phone)
                break
        day = start + timedelta(days=rng.randrange(history_days // 2))
        stored, iso = _ts(day, rng.randrange(8 * 3600, 18 * 3600))
        keys = tuple(search.customer_keys(name, phone).values())
        cust_rows.append(
            (
                cid,
                name,
                phone,
                "",
                int(rng.random() < 0.3),
                int(rng.random() < 0.02),
                "Prefers WeChat messages" if rng.random() < 0.01 else "",
                stored,
                *keys,
            )
        )
        created.append((stored, iso))
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO customer (id, name, phone, email, member, vip, special_note, created_at, "
        "name_key, name_rev, phone_key, phone_rev, pinyin_key, initials_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        cust_rows,
    )
    conn.execute("COMMIT")
    owners = list(range(1, size.customers + 1)) + [
        rng.randrange(1, size.customers + 1) for _ in range(size.vehicles - size.customers)
    ]
    plates: set[str] = set()
    for vid, cid in enumerate(owners, start=1):
        while True:
            plate = rng.choice(PROVINCES) + rng.choice("ABCDEFGHJK") + "".join(rng.choices("0123456789ABCDEFGHJK", k=5))
            if plate not in plates:
                plates.add(plate)
                break
        vin = _vin(rng)
        make, model = rng.choice(MAKES)
        veh_rows.append(
            (
                vid,
                cid,
                vin,
                plate,
                make,
                model,
                rng.randint(2010, 2025),
                None,
                *search.vehicle_keys(plate, vin).values(),
            )
        )
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO vehicle (id, customer_id, vin, plate, make, model, year, purchase_date, "
        "plate_key, plate_rev, vin_key, vin_rev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        veh_rows,
    )
    # their creation in the audit log
    for cid, (stored, iso) in enumerate(created, start=1):
        chain.add(
            stored,
            iso,
            advisors[cid % 2],
            names[advisors[cid % 2]],
            "customer.register",
            "customer",
            cid,
            None,
            "",
            json.dumps({"name": cust_rows[cid - 1][1]}, ensure_ascii=False),
        )
    for vid, row in enumerate(veh_rows, start=1):
        stored, iso = created[row[1] - 1]
        chain.add(
            stored,
            iso,
            advisors[vid % 2],
            names[advisors[vid % 2]],
            "vehicle.register",
            "vehicle",
            vid,
            None,
            "",
            json.dumps({"plate": row[3]}, ensure_ascii=False),
        )
    conn.executemany(AUDIT_SQL, chain.rows)
    conn.execute("COMMIT")
    chain.rows.clear()
    report("customers", size.customers, size.customers)

    # --- visits, in time order, each with its parts and audit events ---------------
    per_visit, extra = divmod(max(0, size.events - len(created) - len(veh_rows)), max(1, size.visits))
    extra_every = size.visits / extra if extra else 0
    days = sorted(rng.randrange(history_days) for _ in range(size.visits))
    odometer: dict[int, int] = {}
    batch = 10_000
    visit_rows, concern_rows, line_rows, auth_rows, call_rows, answer_rows, odo_rows = [], [], [], [], [], [], []
    call_id = 0
    extra_acc = 0.0

    def flush() -> None:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO visit (id, number, customer_id, vehicle_id, advisor_id, technician_id, bay, stage, walk_in, "
            "day, appointment_at, arrived_at, reception_at, promised_at, signed_at, repair_started_at, ready_at, "
            "delivered_at, odometer_km, fuel_eighths, damage_confirmed, damages, warning_lights, tyres, valuables, "
            "welcome_listed, washing, disposal, amount_explanation, followup_agreed_at, followup_channel, "
            "estimate_version, close_reason, created_at, updated_at, version) VALUES "
            "(?,?,?,?,?,?,'',?,?,?,?,?,?,?,?,?,?,?,?,4,1,'[]','','','',0,0,?,'',?,'phone',1,'',?,?,1)",
            visit_rows,
        )
        conn.executemany("INSERT INTO concern (visit_id, text, tags, confirmed) VALUES (?,?,?,1)", concern_rows)
        conn.executemany(
            "INSERT INTO estimate_line (visit_id, position, kind, description, qty_milli, unit_cents, discount_bp, "
            "tax_code, warranty, free, availability, approval, added_in_repair, started, done_by, done_at, version) "
            "VALUES (?,?,?,?,?,?,0,'VAT13',0,0,'in_stock','approved',0,1,?,?,1)",
            line_rows,
        )
        conn.executemany(
            "INSERT INTO authorisation (visit_id, channel, signer, reference, amount_cents, estimate_version, "
            "lines_hash, for_added_work, line_ids, at, by_user) VALUES (?,'in_person',?,'',?,1,'imported',0,'',?,?)",
            auth_rows,
        )
        conn.executemany(
            "INSERT INTO followup_call (id, visit_id, at, outcome, by_user, survey_done, next_service_stated, nps, "
            "comment) VALUES (?,?,?,'reached',?,1,1,?,'')",
            call_rows,
        )
        conn.executemany("INSERT INTO survey_answer (call_id, factor, score) VALUES (?,?,?)", answer_rows)
        conn.executemany(
            "INSERT INTO odometer_reading (vehicle_id, visit_id, km, at, corrected, reason) VALUES (?,?,?,?,0,'')",
            odo_rows,
        )
        conn.executemany(AUDIT_SQL, chain.rows)
        conn.execute("COMMIT")
        for rows in (visit_rows, concern_rows, line_rows, auth_rows, call_rows, answer_rows, odo_rows, chain.rows):
            rows.clear()

    report("visits", 0, size.visits)
    csr = users["赵敏"].id
    for i, offset in enumerate(days, start=1):
        day = start + timedelta(days=offset)
        vid_car = rng.randrange(1, size.vehicles + 1)
        cid = owners[vid_car - 1]
        arrive = rng.randrange(8 * 3600, 16 * 3600)
        adv, tech = rng.choice(advisors), rng.choice(techs)
        ts = {
            k: _ts(day, arrive + d)
            for k, d in (
                ("booked", -86400 + rng.randrange(3600)),
                ("appt", 0),
                ("arrived", 60),
                ("reception", 180),
                ("signed", 1800),
                ("started", 2700),
                ("promised", 4 * 3600),
                ("ready", 3 * 3600),
                ("delivered", 4 * 3600),
                ("agreed", 4 * 3600 + 3 * 86400),
                ("called", 4 * 3600 + 2 * 86400),
            )
        }
        outcome = rng.random()
        stage = "FOLLOWED_UP" if outcome < 0.96 else ("CANCELLED" if outcome < 0.98 else "NO_SHOW")
        km = odometer.get(vid_car, rng.randint(5, 60) * 1000) + rng.randint(3000, 12000)
        odometer[vid_car] = km
        served = stage == "FOLLOWED_UP"
        g = lambda k: ts[k][0] if served else None
        visit_rows.append(
            (
                i,
                f"H{i:07d}",
                cid,
                vid_car,
                adv,
                tech if served else None,
                stage,
                int(rng.random() < 0.3),
                day.isoformat(),
                ts["appt"][0],
                g("arrived"),
                g("reception"),
                g("promised"),
                g("signed"),
                g("started"),
                g("ready"),
                g("delivered"),
                km if served else None,
                "shop_disposes" if served else None,
                g("agreed"),
                ts["booked"][0],
                ts["delivered"][0] if served else ts["appt"][0],
            )
        )
        text, tags = CONCERNS[rng.randrange(len(CONCERNS))]
        concern_rows.append((i, text, tags))
        n_events = per_visit
        extra_acc += 1
        if extra_every and extra_acc >= extra_every:
            extra_acc -= extra_every
            n_events += 1
        if served:
            price = rng.choice((18000, 32000, 42000, 68000))
            line_rows.append((i, 0, "labour", "Service labour", 1000, 18000, tech, ts["ready"][0]))
            line_rows.append((i, 1, "part", "Parts", 1000, price, tech, ts["ready"][0]))
            auth_rows.append((i, "customer", (18000 + price) * 113 // 100, ts["signed"][0], adv))
            call_id += 1
            call_rows.append((call_id, i, ts["called"][0], csr, rng.randint(6, 10)))
            for factor in CSI_FACTORS:
                answer_rows.append((call_id, factor, rng.choice((3, 4, 4, 5, 5, 5))))
            odo_rows.append((vid_car, i, km, ts["arrived"][0]))
        steps = (VISIT_EVENTS * (n_events // len(VISIT_EVENTS) + 1))[:n_events]
        when = ("booked", "arrived", "reception", "reception", "started", "signed", "delivered", "called", "called")
        for k, action in enumerate(steps):
            stored, iso = ts[when[k % len(when)]] if served or k == 0 else ts["appt"]
            if not served and k:
                action = "visit.cancel" if stage == "CANCELLED" else "visit.no_show"
            user = adv if k % len(when) < 7 else csr
            chain.add(
                stored,
                iso,
                user,
                names[user],
                action,
                "visit",
                i,
                i,
                "",
                json.dumps({"step": k, "stage": stage}, ensure_ascii=False),
            )
        if i % batch == 0:
            flush()
            report("visits", i, size.visits)
    flush()
    report("visits", size.visits, size.visits)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()

    # --- today: through the real services ------------------------------------------
    report("today", 0, 1)
    from desk import demo
    from desk.services import open_desk as _open

    clock = demo.MovingClock(now - timedelta(days=1))
    desk = _open(url, clock=clock)
    users = {u.name: u for u in desk.people.users()}
    cars = [(owners[v - 1], v) for v in rng.sample(range(1, size.vehicles + 1), min(40, size.vehicles))]
    today = demo._today(
        desk,
        rng,
        clock,
        now,
        cars,
        users["王丽"],
        users["Tom Becker"],
        users["周经理"],
        [users["张强"], users["刘军"], users["Mike Ross"]],
        users["陈静"],
        users["赵敏"],
    )
    desk.ctx.engine.dispose()
    report("today", 1, 1)
    conn = sqlite3.connect(path)
    counts = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("customer", "vehicle", "visit", "audit_event", "estimate_line", "survey_answer")
    }
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    counts["today"] = today
    counts["first_bulk_audit_id"] = first_audit
    return Shop(path, size, now, counts, _time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> None:
    import argparse

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    ap = argparse.ArgumentParser(description="Generate (or find in the cache) a benchmark shop.")
    ap.add_argument("--visits", type=int, default=Size.visits)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--fresh", action="store_true", help="regenerate even when cached")
    args = ap.parse_args(argv)
    size = Size() if args.visits == Size.visits else Size.scaled(args.visits)
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        made = shop(size, seed=args.seed, progress=progress, fresh=args.fresh)
    print(f"{made.path}: {made.counts} (generated in {made.seconds:.1f} s, today = {made.now:%Y-%m-%d %H:%M})")


if __name__ == "__main__":
    main()
