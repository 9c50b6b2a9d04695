/**
 * Fixture data for the mock ModelScope MCP server: realistic ModelScope ids and metadata (shapes
 * follow the real ModelScope MCP server's Model / Dataset / Paper types). Numbers are
 * illustrative, not live.
 */

export interface ModelRecord {
  id: string;
  path: string;
  name: string;
  chinese_name: string;
  task: string;
  description: string;
  license: string;
  downloads_count: number;
  likes_count: number;
  /** Unix seconds. */
  updated_at: number;
  modelscope_url: string;
}

export interface DatasetRecord {
  id: string;
  path: string;
  name: string;
  chinese_name: string;
  description: string;
  license: string;
  downloads_count: number;
  likes_count: number;
  updated_at: number;
  modelscope_url: string;
}

export interface PaperRecord {
  arxiv_id: string;
  title: string;
  authors: string;
  publish_date: string;
  abstract_en: string;
  view_count: number;
  favorite_count: number;
  modelscope_url: string;
  arxiv_url: string;
}

type ModelRow = [id: string, chinese: string, task: string, description: string, license: string, downloads: number, likes: number, updated: string];

const MODEL_ROWS: ModelRow[] = [
  ["Qwen/Qwen2.5-7B-Instruct", "通义千问2.5-7B-Instruct", "text-generation", "Instruction-tuned 7B model of the Qwen2.5 series: stronger coding, maths and long-context (128K) abilities, 29+ languages.", "apache-2.0", 2_861_042, 1_523, "2024-09-19"],
  ["Qwen/Qwen2.5-72B-Instruct", "通义千问2.5-72B-Instruct", "text-generation", "Flagship 72B instruction-tuned Qwen2.5 model for chat, reasoning and structured output (JSON).", "qwen", 941_220, 988, "2024-09-19"],
  ["Qwen/Qwen2.5-VL-7B-Instruct", "通义千问2.5-VL-7B-Instruct", "image-text-to-text", "Vision-language model: understands images, documents, charts and long videos; visual localisation with bounding boxes.", "apache-2.0", 1_204_877, 1_117, "2025-01-28"],
  ["Qwen/Qwen2.5-Coder-32B-Instruct", "通义千问2.5-Coder-32B-Instruct", "text-generation", "Code-specific Qwen2.5 model: code generation, reasoning and repair across 40+ programming languages.", "apache-2.0", 655_310, 842, "2024-11-12"],
  ["Qwen/QwQ-32B", "QwQ-32B", "text-generation", "Reasoning model of the Qwen series trained with reinforcement learning; thinks step by step before answering.", "apache-2.0", 512_904, 1_310, "2025-03-06"],
  ["deepseek-ai/DeepSeek-R1", "DeepSeek-R1", "text-generation", "First-generation reasoning model trained with large-scale reinforcement learning; 671B MoE, 37B active parameters.", "mit", 3_402_118, 4_871, "2025-01-20"],
  ["deepseek-ai/DeepSeek-V3", "DeepSeek-V3", "text-generation", "Mixture-of-Experts language model with 671B total parameters and multi-token prediction.", "mit", 1_733_605, 2_214, "2024-12-26"],
  ["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "DeepSeek-R1-Distill-Qwen-7B", "text-generation", "DeepSeek-R1 reasoning distilled into Qwen2.5-Math-7B.", "mit", 2_117_450, 976, "2025-01-20"],
  ["ZhipuAI/glm-4-9b-chat", "GLM-4-9B-Chat", "text-generation", "Open GLM-4 chat model: multi-turn dialogue, web browsing, code execution and function calling, 128K context.", "glm-4", 1_020_336, 731, "2024-06-05"],
  ["ZhipuAI/CogVideoX-5b", "CogVideoX-5B", "text-to-video", "Text-to-video diffusion transformer generating 6-second 720x480 clips.", "cogvideox", 88_412, 402, "2024-08-27"],
  ["iic/speech_paraformer-large_asr_nat-zh-cn-16k-common-vocab8404-pytorch", "Paraformer语音识别-中文-通用-16k-离线-large", "auto-speech-recognition", "Non-autoregressive end-to-end Mandarin ASR (Paraformer-large), 16 kHz, trained on tens of thousands of hours.", "apache-2.0", 14_882_093, 1_406, "2023-11-22"],
  ["iic/SenseVoiceSmall", "SenseVoice多语言语音理解模型Small", "auto-speech-recognition", "Multilingual speech understanding: ASR, language identification, emotion and audio-event detection.", "apache-2.0", 3_990_551, 690, "2024-07-04"],
  ["iic/nlp_raner_named-entity-recognition_chinese-base-news", "RaNER命名实体识别-中文-新闻领域-base", "named-entity-recognition", "Retrieval-augmented NER for Chinese news text.", "apache-2.0", 402_118, 87, "2023-05-10"],
  ["damo/cv_resnet50_image-classification", "ResNet50图像分类-通用", "image-classification", "ResNet-50 image classifier trained on ImageNet-1k for everyday objects.", "apache-2.0", 301_772, 64, "2023-03-02"],
  ["damo/cv_ddcolor_image-colorization", "DDColor图像上色", "image-colorization", "Dual-decoder colourisation of black-and-white photos.", "apache-2.0", 220_005, 312, "2023-09-18"],
  ["damo/nlp_structbert_sentiment-classification_chinese-base", "StructBERT情感分类-中文-通用-base", "text-classification", "Chinese sentiment classification (positive / negative) fine-tuned from StructBERT.", "apache-2.0", 812_660, 143, "2023-02-14"],
  ["AI-ModelScope/stable-diffusion-xl-base-1.0", "SDXL-base-1.0", "text-to-image", "Stable Diffusion XL base model for 1024x1024 text-to-image generation.", "openrail++", 1_556_004, 1_002, "2023-07-27"],
  ["MusePublic/FLUX.1-dev", "FLUX.1-dev", "text-to-image", "12B rectified-flow transformer for text-to-image; open weights for non-commercial use.", "flux-1-dev-non-commercial", 704_119, 935, "2024-08-02"],
  ["BAAI/bge-large-zh-v1.5", "BGE中文向量模型-large", "sentence-embedding", "Chinese text embedding model for retrieval and semantic similarity.", "mit", 5_630_448, 508, "2023-09-12"],
];

type DatasetRow = [id: string, chinese: string, description: string, license: string, downloads: number, likes: number, updated: string];

const DATASET_ROWS: DatasetRow[] = [
  ["modelscope/ceval-exam", "C-Eval中文基础模型评测", "13,948 multiple-choice questions in 52 disciplines to evaluate Chinese foundation models.", "cc-by-nc-sa-4.0", 402_551, 210, "2023-06-01"],
  ["opencompass/mmlu", "MMLU", "Massive Multitask Language Understanding: 57 subjects from STEM to the humanities.", "mit", 288_904, 95, "2024-01-15"],
  ["AI-ModelScope/alpaca-gpt4-data-zh", "Alpaca-GPT4中文指令数据", "52K Chinese instruction-following examples generated with GPT-4.", "cc-by-4.0", 190_230, 177, "2023-08-20"],
  ["modelscope/coco_2014_caption", "COCO 2014图像描述", "COCO 2014 images with five human-written captions each.", "cc-by-4.0", 120_442, 61, "2023-04-11"],
  ["speech_asr/speech_asr_aishell1_trainsets", "AISHELL-1中文语音识别训练集", "178 hours of Mandarin read speech from 400 speakers, 16 kHz.", "apache-2.0", 98_310, 48, "2023-02-28"],
  ["swift/self-cognition", "自我认知微调数据", "Self-cognition examples to give a fine-tuned model its own name and author.", "apache-2.0", 350_120, 133, "2024-03-09"],
];

type PaperRow = [arxivId: string, title: string, authors: string, date: string, abstract: string, views: number, favorites: number];

const PAPER_ROWS: PaperRow[] = [
  ["2412.15115", "Qwen2.5 Technical Report", "Qwen Team", "2024-12-19", "Qwen2.5 scales pre-training data to 18 trillion tokens and applies multistage reinforcement learning; open-weight models from 0.5B to 72B.", 18_204, 1_120],
  ["2501.12948", "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning", "DeepSeek-AI", "2025-01-22", "Reasoning emerges from large-scale RL without supervised fine-tuning (R1-Zero); R1 adds cold-start data and distils into dense models.", 42_771, 3_305],
  ["2502.13923", "Qwen2.5-VL Technical Report", "Shuai Bai, Keqin Chen, Xuejing Liu, et al.", "2025-02-19", "A vision-language model with dynamic-resolution ViT, absolute time encoding for video, and precise object localisation.", 9_980, 701],
  ["2206.08317", "Paraformer: Fast and Accurate Parallel Transformer for Non-autoregressive End-to-End Speech Recognition", "Zhifu Gao, Shiliang Zhang, Ian McLoughlin, Zhijie Yan", "2022-06-16", "A non-autoregressive ASR model with a continuous integrate-and-fire predictor and a glancing language model sampler.", 6_412, 288],
  ["2406.12793", "ChatGLM: A Family of Large Language Models from GLM-130B to GLM-4 All Tools", "Team GLM", "2024-06-18", "The GLM family's training and alignment, up to GLM-4 All Tools that decides when to browse, run code or draw.", 5_103, 244],
  ["1512.03385", "Deep Residual Learning for Image Recognition", "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun", "2015-12-10", "Residual connections make networks of over 100 layers trainable; ResNet won ILSVRC 2015.", 30_550, 2_018],
];

const seconds = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000);

export const MODELS: ModelRecord[] = MODEL_ROWS.map(([id, chinese_name, task, description, license, downloads_count, likes_count, updated]) => {
  const [path, name] = id.split("/") as [string, string];
  return { id, path, name, chinese_name, task, description, license, downloads_count, likes_count, updated_at: seconds(updated), modelscope_url: `https://modelscope.cn/models/${id}` };
});

export const DATASETS: DatasetRecord[] = DATASET_ROWS.map(([id, chinese_name, description, license, downloads_count, likes_count, updated]) => {
  const [path, name] = id.split("/") as [string, string];
  return { id, path, name, chinese_name, description, license, downloads_count, likes_count, updated_at: seconds(updated), modelscope_url: `https://modelscope.cn/datasets/${id}` };
});

export const PAPERS: PaperRecord[] = PAPER_ROWS.map(([arxiv_id, title, authors, publish_date, abstract_en, view_count, favorite_count]) => ({
  arxiv_id, title, authors, publish_date, abstract_en, view_count, favorite_count,
  modelscope_url: `https://modelscope.cn/papers/${arxiv_id}`,
  arxiv_url: `https://arxiv.org/abs/${arxiv_id}`,
}));

/** Case-insensitive match of every word of `query` against the given fields ("" matches all). */
export function matches(query: string, ...fields: string[]): boolean {
  const haystack = fields.join(" ").toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}
