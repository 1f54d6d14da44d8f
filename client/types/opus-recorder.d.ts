// The part of opus-recorder's API the reply page uses (the package ships no types).
declare module 'opus-recorder' {
  interface RecorderOptions {
    encoderPath: string;
    sourceNode?: MediaStreamAudioSourceNode;
    numberOfChannels?: number;
    encoderApplication?: number;
    encoderSampleRate?: number;
    streamPages?: boolean;
  }
  export default class Recorder {
    constructor(options: RecorderOptions);
    ondataavailable: (data: Uint8Array<ArrayBuffer>) => void;
    onstop: () => void;
    start(): Promise<void>;
    stop(): Promise<void>;
    close(): void;
  }
}
