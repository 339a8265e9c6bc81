import BertModel
import Foundation

/// `finetune --plot`: the run as TensorBoard or W&B draws it. The loss and the task's metric in
/// two panels over one step axis, the running values as lines, the eval points (`--eval`,
/// `--eval-every`) as open markers with the eval metric, and the model's name as the title.
public enum TrainingCurve {
    /// The chart's title for a model path: its last path component (a folder's or file's name, without
    /// the `.bkm`/`.safetensors` extension), not the path.
    public static func modelName(_ path: String) -> String {
        var p = path
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        let last = (p as NSString).lastPathComponent
        for ext in [".bkm", ".safetensors", ".bin", ".h5"] where last.hasSuffix(ext) && last.count > ext.count {
            return String(last.dropLast(ext.count))
        }
        return last.isEmpty ? path : last
    }

    /// `evalPoints`: FineTuningLoop's (`--eval`, `--eval-every`), their headline figure as open markers in
    /// the metric's panel.
    public static func chart(title: String, reports: [TrainingReport], evalPoints: [EvalPoint] = []) -> StackedChart {
        let metric = (reports.first?.metricName ?? evalPoints.first?.name ?? "metric").lowercased()
        // The running (training) values under plain names, the eval points under "eval …".
        let loss = [StackedChart.Series(name: "loss", points: reports.map { (Double($0.step), $0.loss) })]
        var scores = [StackedChart.Series(name: metric, points: reports.map { (Double($0.step), $0.metric) })]
        if let first = evalPoints.first {
            scores.append(.init(name: "eval \(first.name.lowercased())", points: evalPoints.map { (Double($0.step), $0.value) },
                                style: .markers))
        }
        return StackedChart(title: title, xLabel: "step", panels: [.init(yLabel: "loss", series: loss),
                                                                   .init(yLabel: metric, series: scores)])
    }

    public static func svg(title: String, reports: [TrainingReport], evalPoints: [EvalPoint] = []) -> String {
        chart(title: title, reports: reports, evalPoints: evalPoints).svg()
    }
}
