// What the loss chart draws besides the raw points, computed without the DOM (unit-tested).

/**
 * TensorBoard's smoothing: an exponential moving average with weight `weight` (0 = none, 0.99 =
 * very smooth), debiased so the first points are not pulled toward zero.
 */
export function smoothed<T extends { loss: number }>(points: T[], weight: number): T[] {
  let average = 0;
  let count = 0;
  return points.map((point) => {
    if (!Number.isFinite(point.loss)) return point;
    count++;
    average = average * weight + (1 - weight) * point.loss;
    return { ...point, loss: weight === 0 ? point.loss : average / (1 - weight ** count) };
  });
}

/**
 * The steps where a new epoch starts (1, 2, ... epochs in), at most `limit` of them: on a long run
 * with many short epochs only every n-th is marked, so the lines stay readable.
 */
export function epochBoundaries(
  stepsPerEpoch: number,
  totalSteps: number,
  limit = 12,
): Array<{ step: number; epoch: number }> {
  if (!(stepsPerEpoch > 0) || stepsPerEpoch >= totalSteps) return [];
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const every = Math.ceil((epochs - 1) / limit);
  const marks: Array<{ step: number; epoch: number }> = [];
  for (let epoch = every; epoch * stepsPerEpoch < totalSteps; epoch += every)
    marks.push({ step: epoch * stepsPerEpoch, epoch });
  return marks;
}
