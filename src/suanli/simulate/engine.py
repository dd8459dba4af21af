"""The weekly loop of a simulation, in memory, with the real rules, clearing and settlement.

Each week: startups that arrive apply and the real eligibility evaluator decides
(``needs_review`` goes to a reviewer who approves the policy's share of them); eligible
startups get a voucher while the budget lasts (the rest wait, tried oldest first, for
budget that expired vouchers give back; co-funded, each funder's part of the voucher's
split must be there); active startups place their orders, with
their voucher when it has money left; one round is cleared by the real ``clear()`` (or
the greedy broker); every contract is settled by the real settlement arithmetic on the
delivered share of its GPU-hours; unmatched orders wait up to ``patience_weeks`` more
weeks; vouchers past their validity lapse and give their balance back to the budget.

An order that found no seller is counted once, when it is finally given up, under the
clearing's reason, except that an order placed without a voucher that was over its
limit counts as ``ineligible`` (the startup was refused) or ``no_voucher`` (eligible,
but no voucher money): the policy, not the market, left it unserved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from suanli.kit.money import parse_cny
from suanli.market.clearing import clear, greedy
from suanli.simulate import eligibility
from suanli.simulate.funding import Funding
from suanli.simulate.metrics import Match, Tally, Week
from suanli.simulate.rounds import Placed, Wallet, build_snapshot, latency_table
from suanli.simulate.scenario import HOURS_PER_WEEK, Policy, Scenario
from suanli.simulate.settle import settle_contract
from suanli.simulate.world import OrderSpec, World

REFUSED = ("fail", "review_rejected")


@dataclass
class Round:
    """A cleared round, kept when asked (tests re-check every result)."""

    snapshot: dict[str, Any]
    result: dict[str, Any]


@dataclass
class Run:
    """The outcome of a simulation: the tally and, when kept, every round."""

    tally: Tally
    rounds: list[Round] = field(default_factory=list)


class Simulation:
    """One policy against one world; ``run()`` plays every week."""

    def __init__(self, scenario: Scenario, world: World, policy: Policy | None = None, *,
                 keep_rounds: bool = False) -> None:
        self.scenario, self.world = scenario, world
        self.policy = policy or scenario.policy
        self.keep_rounds = keep_rounds
        self.rule = eligibility.rule_for(self.policy.eligibility)
        self.tiers = eligibility.policy_tiers(self.policy)
        self.decision: dict[str, str] = {}
        self.wallets: dict[str, Wallet] = {}
        self.waitlist: list[str] = []
        self.pending: list[Placed] = []
        self.committed_fen = 0  # spent plus what live vouchers still hold
        self.latency = latency_table()
        self.startups = {s.id: s for s in world.startups}
        self.clusters = {f"of-{c.id}": c for c in world.clusters}
        self.funding = Funding.of(self.policy.funders, self.policy.budget_cny)
        self.out = Run(Tally(budget_fen=self.policy.budget_cny,
                              energy_price_fen=self.policy.energy_price_cny_per_kwh,
                              funding=self.funding))

    @property
    def tally(self) -> Tally:
        """The counts so far."""
        return self.out.tally

    def run(self, on_week: Callable[[Week], None] | None = None) -> Run:
        """Play every week; ``on_week`` is called after each (for a progress bar)."""
        for week in range(self.world.weeks):
            record = self.step(week)
            if on_week is not None:
                on_week(record)
        return self.out

    def step(self, week: int) -> Week:
        """Play one week and return its numbers."""
        record = Week(week=week + 1)
        self.tally.weeks.append(record)
        self._arrive(week, record)
        self._issue(week, record)
        placed = self._place(week, record)
        if placed:
            result = self._clear(week, placed, record)
            by_id = {p.spec.id: p for p in placed}
            self._settle(result, by_id, record)
            self._carry(result, by_id, week, record)
        for cluster in self.world.clusters:
            self.tally.capacity_gpu_hours[cluster.hub] += cluster.gpus * HOURS_PER_WEEK
        self._expire(week)
        record.committed_fen = self.committed_fen
        return record

    def _arrive(self, week: int, record: Week) -> None:
        share = self.policy.eligibility.review_approval_share
        for startup in self.world.startups:
            if startup.arrival_week != week:
                continue
            outcome: str = eligibility.decide(self.rule, startup)
            if outcome == "needs_review":
                outcome = "review_approved" if startup.review_draw < share else "review_rejected"
            self.decision[startup.id] = outcome
            self.tally.decisions[outcome] += 1
            self.tally.arrived += 1
            record.arrivals += 1
            if outcome not in REFUSED:
                self.waitlist.append(startup.id)

    def _issue(self, week: int, record: Week) -> None:
        """Vouchers for waiting eligible startups, oldest first, while budget lasts, as the
        platform issues them: at most the tier's cap, for at most the tier's days; a
        co-funded voucher needs every funder's part of its split, and one that does not
        fit keeps waiting (its place kept) while later ones that fit are issued."""
        for holder in list(self.waitlist):
            room = self.policy.budget_cny - self.committed_fen
            if room <= 0:
                break
            terms = eligibility.terms_of(self.policy, self.tiers, self.startups[holder]) \
                if self.tiers else None
            value = min(self.policy.voucher_value_cny, room)
            if terms is not None and terms.cap_per_firm_fen is not None:
                value = min(value, terms.cap_per_firm_fen)
            split, parts = None, []
            if self.funding is not None:
                split = self.funding.split(None if terms is None else terms.funder_shares_bp)
                if not self.funding.can_issue(value, split):
                    continue
                parts = self.funding.issue(value, split)
            self.waitlist.remove(holder)
            weeks = self.policy.voucher_weeks
            if terms is not None and terms.max_days is not None:
                weeks = min(weeks, -(-terms.max_days // 7))
            self.wallets[holder] = Wallet(
                id=f"v-{holder}", holder=holder, issued_fen=value, balance_fen=value,
                issued_week=week, expires_week=week + weeks - 1, terms=terms, split=split,
                parts=parts)
            self.committed_fen += value
            self.tally.issued_fen += value
            self.tally.voucher_holders.add(holder)
            record.vouchers_issued += 1

    def _voucher_of(self, startup: str) -> str | None:
        wallet = self.wallets.get(startup)
        return wallet.id if wallet is not None and wallet.balance_fen > 0 else None

    def _place(self, week: int, record: Week) -> list[Placed]:
        carried, self.pending = self.pending, []
        fresh = [Placed(spec, self.startups[spec.startup].city, None, 0)
                 for spec in self.world.orders[week]]
        placed = []
        for item in carried + fresh:
            voucher = self._voucher_of(item.spec.startup)
            if voucher is None and not self.scenario.world.demand.buy_without_voucher:
                self._give_up(item.spec, self._no_voucher_reason(item.spec.startup), record)
                continue
            placed.append(Placed(item.spec, item.origin, voucher, item.tries))
        record.orders = len(placed)
        return placed

    def _clear(self, week: int, placed: list[Placed], record: Week) -> dict[str, Any]:
        snapshot = build_snapshot(scenario=self.scenario, world=self.world, policy=self.policy,
                                  week=week, placed=placed, wallets=self.wallets,
                                  latency=self.latency)
        if self.scenario.clearing.broker == "greedy":
            result = greedy(snapshot)
        else:
            result = clear(snapshot, time_limit=self.scenario.clearing.time_limit_s)
        limit = self.scenario.clearing.time_limit_s
        record.status = str(result["status"])
        record.time_limited = limit is not None and float(result["solve_seconds"]) >= limit
        record.objective_cny = str(result["objective_cny"])
        if self.keep_rounds:
            self.out.rounds.append(Round(snapshot, result))
        return result

    def _settle(self, result: dict[str, Any], by_id: dict[str, Placed], record: Week) -> None:
        ratio = Decimal(str(self.scenario.world.delivery_ratio))
        for item in result["assignments"]:
            cluster = self.clusters[item["offer"]]
            startup = by_id[item["order"]].spec.startup
            charge = settle_contract(
                gpu_hours=Decimal(str(item["gpu_hours"])), delivery_ratio=ratio,
                unit_price_fen=parse_cny(item["unit_price_cny"]),
                rate=Decimal(item["subsidy_rate"]), hold_fen=parse_cny(item["subsidy_cny"]),
                buyer_hold_fen=parse_cny(item["buyer_pays_cny"]),
            )
            self.tally.uncovered_fen += charge.uncovered_fen
            wallet = self.wallets.get(startup)
            if charge.voucher_fen:
                assert wallet is not None and wallet.balance_fen >= charge.voucher_fen
                wallet.balance_fen -= charge.voucher_fen
                if self.funding is not None and wallet.split is not None:
                    self.funding.spend(wallet.spent_fen, wallet.spent_fen + charge.voucher_fen,
                                       wallet.split)
                wallet.spent_fen += charge.voucher_fen
            match = Match(
                startup=startup, hub=cluster.hub, side=cluster.side, operator=cluster.operator,
                domestic=cluster.domestic, voucher=charge.voucher_fen > 0,
                gpu_hours=float(charge.gpu_hours), cost_fen=charge.cost_fen,
                voucher_fen=charge.voucher_fen, buyer_fen=charge.buyer_fen,
                energy_kwh=float(item["energy_kwh"]) * float(ratio),
                accelerator=cluster.accelerator,
            )
            self.tally.add_match(match)
            record.add(match)

    def _carry(self, result: dict[str, Any], by_id: dict[str, Placed], week: int,
               record: Week) -> None:
        last_week = week == self.world.weeks - 1
        for item in result["unmatched"]:
            order = by_id[item["order"]]
            if order.tries < self.scenario.world.demand.patience_weeks and not last_week:
                self.pending.append(Placed(order.spec, order.origin, None, order.tries + 1))
                continue
            reason = str(item["reason"])
            if order.voucher is None and reason == "over_limit":
                reason = self._no_voucher_reason(order.spec.startup)
            self._give_up(order.spec, reason, record)

    def _no_voucher_reason(self, startup: str) -> str:
        return "ineligible" if self.decision.get(startup) in REFUSED else "no_voucher"

    def _give_up(self, spec: OrderSpec, reason: str, record: Week) -> None:
        self.tally.add_unmet(reason, float(spec.gpus * spec.duration_hours))
        record.unmet += 1

    def _expire(self, week: int) -> None:
        for wallet in self.wallets.values():
            if wallet.expires_week == week and wallet.balance_fen > 0:
                if self.funding is not None and wallet.split is not None:
                    self.funding.give_back(wallet.balance_fen, wallet.split, wallet.parts)
                self.tally.expired_fen += wallet.balance_fen
                self.committed_fen -= wallet.balance_fen
                wallet.balance_fen = 0


def simulate(scenario: Scenario, world: World, policy: Policy | None = None, *,
             keep_rounds: bool = False, on_week: Callable[[Week], None] | None = None) -> Run:
    """Run ``policy`` (the scenario's own by default) against ``world``."""
    return Simulation(scenario, world, policy, keep_rounds=keep_rounds).run(on_week)
