import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`

export default class RiskBacktest extends BaseCommand {
  static commandName = 'risk:backtest'
  static description =
    'Replay the stored history: each day’s 24 h liquidation forecast against what happened; calibration table and Brier score'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: "Only this user's positions (a user id)" })
  declare user?: string

  async run() {
    const { backtest } = await import('#services/positions/backtest')
    const report = await backtest({ userId: this.user })
    this.logger.info(
      `${report.days} days, ${report.forecasts} forecasts (${report.skipped} without enough history), ${report.liquidations} of them followed by HF < 1 within 24 h`
    )
    const table = this.ui.table()
    table.head(['forecast (24 h)', 'forecasts', 'mean forecast', 'observed frequency'])
    for (const b of report.buckets) {
      table.row([
        `${pct(b.from)} – ${b.to > 1 ? '100%' : pct(b.to)}`,
        String(b.forecasts),
        b.forecasts ? pct(b.meanForecast) : '—',
        b.forecasts ? pct(b.observed) : '—',
      ])
    }
    table.render()
    this.logger.info(
      report.brier === null
        ? 'Brier score: no forecasts to score'
        : `Brier score: ${report.brier.toExponential(3)} (0 is perfect; always forecasting 0 scores ${(report.liquidations / Math.max(report.forecasts, 1)).toExponential(3)})`
    )
  }
}
