// Types of `editseg/element`: importing it registers <edit-seg>.
import type { Editor, EditorResult, Result, Runtime, SegmentResult } from './runtime.js';

export interface EditSegEventMap {
  'editseg-ready': CustomEvent<{ backend: string; fallbackReason?: string }>;
  'editseg-result': CustomEvent<Result | SegmentResult | EditorResult>;
  'editseg-error': CustomEvent<{ message: string }>;
}

/**
 * <edit-seg mode="prompt" scene="4">, <edit-seg mode="prompt" image="cat.png" instruction="...">
 * or <edit-seg mode="edit" original="a.png" edited="b.jpg" color="red">. Changing an attribute
 * after it is connected runs it again.
 */
export interface EditSegElement extends HTMLElement {
  /** From the `mode` attribute (set the attribute to change it). */
  readonly mode: 'prompt' | 'edit';
  /** The shared runtime, once started. */
  readonly seg?: Runtime;
  /**
   * Set from script (never an attribute: keys do not belong in markup): prompt mode asks this
   * editor instead of the built-in painter.
   */
  editor: Editor | null;
  /** The last result. */
  readonly result?: Result | SegmentResult | EditorResult;
  /** Run the widget's instruction (or edit); resolves to the result, or null after an error. */
  run(): Promise<Result | SegmentResult | EditorResult | null>;
  addEventListener<K extends keyof EditSegEventMap>(type: K, listener: (event: EditSegEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'edit-seg': EditSegElement;
  }
}
