// Types of `editseg/element`: importing it registers <edit-seg>.
import type { Result, Runtime } from './runtime.js';

export interface EditSegEventMap {
  'editseg-ready': CustomEvent<{ backend: string; fallbackReason?: string }>;
  'editseg-result': CustomEvent<Result>;
  'editseg-error': CustomEvent<{ message: string }>;
}

/**
 * <edit-seg mode="prompt" scene="4">, <edit-seg mode="prompt" image="cat.png" instruction="...">
 * or <edit-seg mode="edit" original="a.png" edited="b.jpg" color="red">. Changing an attribute
 * after it is connected runs it again.
 */
export interface EditSegElement extends HTMLElement {
  mode: 'prompt' | 'edit';
  /** The shared runtime, once started. */
  readonly seg?: Runtime;
  /** The last result. */
  readonly result?: Result;
  /** Run the widget's instruction (or edit); resolves to the result, or null after an error. */
  run(): Promise<Result | null>;
  addEventListener<K extends keyof EditSegEventMap>(type: K, listener: (event: EditSegEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'edit-seg': EditSegElement;
  }
}
