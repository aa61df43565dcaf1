"""The overview: how the integrations are doing, at a glance, with links into the history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from maxwork_leads.console import charts
from maxwork_leads.console.queries import overview as queries
from maxwork_leads.console.web import Page, console_page

router = APIRouter()

NO_USERNAME = "(no username)"


def _leads_chart(data: queries.Overview) -> tuple[Markup, Markup]:
    by_name = {name or NO_USERNAME: counts for name, counts in data.leads_by_integrator().items()}
    series = charts.fold_series(by_name)
    chart = charts.stacked_bars(
        data.days, series, unit="leads", label="Leads received per day and integrator"
    )
    return chart, charts.legend([layer.name for layer in series])


def _errors_chart(data: queries.Overview) -> Markup:
    bars = [
        charts.Bar(
            label=row.username or NO_USERNAME,
            value=row.rate,
            hint=f"{row.username or NO_USERNAME}: {row.failures:,} of {row.requests:,} "
            f"requests failed ({row.rate:.1f}%)",
        )
        for row in data.integrators
    ]
    return charts.horizontal_bars(
        bars, maximum=100, unit="%", label="Failed requests per integrator, in percent"
    )


@router.get("/", response_class=HTMLResponse, name="overview")
def overview_page(page: Annotated[Page, Depends(console_page)]) -> HTMLResponse:
    with page.read() as session:
        data = queries.overview(session)
    leads_chart, leads_legend = _leads_chart(data)
    return page.render(
        "overview.html",
        data=data,
        window_days=queries.WINDOW_DAYS,
        message_chars=queries.MESSAGE_CHARS,
        no_username=NO_USERNAME,
        leads_chart=leads_chart,
        leads_legend=leads_legend,
        errors_chart=_errors_chart(data),
    )
