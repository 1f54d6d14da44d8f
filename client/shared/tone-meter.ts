// Finds the loudest frequency an AnalyserNode hears.
export interface ToneReading {
  hz: number;
  decibels: number;
}

/** Quieter than this is treated as silence. */
const SILENCE_DB = -90;

export function dominantFrequency(analyser: AnalyserNode, sampleRate: number): ToneReading | null {
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let best = -1;
  let bestDb = -Infinity;
  // Skip the lowest bins: DC and hum are not tones.
  for (let i = 4; i < bins.length; i++) {
    const value = bins[i] ?? -Infinity;
    if (value > bestDb) {
      bestDb = value;
      best = i;
    }
  }
  if (best < 0 || bestDb < SILENCE_DB) return null;
  return { hz: (best * sampleRate) / analyser.fftSize, decibels: bestDb };
}
